"""What the openai SDK's calls are: the methods patched, and how a request and its result are read.

Chat-style streams report usage only when asked (`stream_options.include_usage`): for providers
known to accept it, the request asks on the app's behalf and the extra usage-only chunk is hidden
from the app. A Response retrieved again is never priced twice (responses_once.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse

from genai_cost import endpoints, names
from genai_cost.call import Call
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.raw_response import AsyncRawResponse, RawResponse
from genai_cost.instrumentation.stream import NO_USAGE
from genai_cost.instrumentation.wrapper import Calls, Request, Run, finish, proxy_stream
from genai_cost.openai import content, extract, responses_once

_RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"  # set by with_raw_response / with_streaming_response
_STREAMS = (openai.Stream, openai.AsyncStream)

forget = responses_once.forget  # the instrumentor calls wrappers.forget() when it uninstruments

_CHAT_CONTENT: dict[str, Any] = dict(
    request_content=content.request_content,
    response_content=content.response_content,
    stream_content=content.StreamContent,
)
CHAT = Api(names.OP_CHAT, extract.chat_outcome, **_CHAT_CONTENT)
TEXT_COMPLETION = Api(names.OP_TEXT_COMPLETION, extract.chat_outcome, **_CHAT_CONTENT)
RESPONSES = Api(
    names.OP_CHAT,
    responses_once.response_outcome,
    request_content=content.responses_request_content,
    response_content=content.responses_response_content,
    stream_content=content.ResponsesStreamContent,
)
EMBEDDINGS = Api(names.OP_EMBEDDINGS, extract.embeddings_outcome)
_CHAT_STYLE = (CHAT, TEXT_COMPLETION)  # streams that report usage only when asked

_CHAT_MODULE = "openai.resources.chat.completions.completions"
_RESPONSES_MODULE = "openai.resources.responses.responses"
PATCHES = (
    Patch(_CHAT_MODULE, "Completions.create", CHAT),
    Patch(_CHAT_MODULE, "Completions.parse", CHAT),
    Patch(_CHAT_MODULE, "AsyncCompletions.create", CHAT, is_async=True),
    Patch(_CHAT_MODULE, "AsyncCompletions.parse", CHAT, is_async=True),
    Patch(_RESPONSES_MODULE, "Responses.create", RESPONSES),
    Patch(_RESPONSES_MODULE, "Responses.parse", RESPONSES),
    Patch(_RESPONSES_MODULE, "Responses.retrieve", RESPONSES),
    Patch(_RESPONSES_MODULE, "AsyncResponses.create", RESPONSES, is_async=True),
    Patch(_RESPONSES_MODULE, "AsyncResponses.parse", RESPONSES, is_async=True),
    Patch(_RESPONSES_MODULE, "AsyncResponses.retrieve", RESPONSES, is_async=True),
    Patch("openai.resources.embeddings", "Embeddings.create", EMBEDDINGS),
    Patch("openai.resources.embeddings", "AsyncEmbeddings.create", EMBEDDINGS, is_async=True),
    Patch("openai.resources.completions", "Completions.create", TEXT_COMPLETION),
    Patch("openai.resources.completions", "AsyncCompletions.create", TEXT_COMPLETION, is_async=True),
)


class _Run(Run):
    __slots__ = ("hide",)  # the app gets no usage-only chunk it did not ask for


# The clients' own `base_url` properties return `_base_url` (openai 3's imports a module on every
# read: ~1.5 us a call), so the attribute is read directly; any other property (the module-level
# client's, which honours `openai.base_url`) is asked.
_PLAIN_BASE_URL = frozenset(
    prop for prop in (getattr(openai.OpenAI, "base_url", None), getattr(openai.AsyncOpenAI, "base_url", None)) if prop
)


def _base_url(client: Any) -> Any:
    if type(client).base_url in _PLAIN_BASE_URL:
        return client._base_url
    return client.base_url


class OpenAICalls(Calls):
    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        model = kwargs.get("model")
        return Request(
            endpoints.endpoint_for(_base_url(instance._client)),
            model if isinstance(model, str) else None,
            kwargs.get("stream") is True,
            kwargs,
            extract.conversation_id(kwargs.get("conversation")) if api is RESPONSES else None,
        )

    def run(self, call: Call, api: Api, request: Request, args: Any, kwargs: Any) -> Run:
        run = _Run(self, call, api, args, kwargs)
        run.hide = False
        if request.stream and api in _CHAT_STYLE and not _is_raw(kwargs):
            if endpoints.wants_stream_usage(call.endpoint):
                run.kwargs, run.hide = endpoints.ask_stream_usage(kwargs)
        return run

    def result(self, run: Run, result: Any) -> Any:
        if isinstance(result, openai.BaseModel):  # a parsed response: the common case, tested first
            return finish(run, result)
        if isinstance(result, _STREAMS):
            return proxy_stream(run, result, _accumulator(run), isinstance(result, openai.AsyncStream))
        if isinstance(result, LegacyAPIResponse):
            if getattr(result, "_stream", False):
                return RawResponse(result, run)
            finish(run, result.parse())  # parse() is cached: the app gets the same object
            return result
        if isinstance(result, AsyncAPIResponse):
            return AsyncRawResponse(result, run)
        if isinstance(result, APIResponse):
            return RawResponse(result, run)
        return finish(run, result)


CALLS = OpenAICalls()


def _accumulator(run: Run) -> Any:
    provider = run.call.endpoint.provider
    if run.api is RESPONSES:
        return responses_once.ResponsesStream(provider)
    if run.api in _CHAT_STYLE:
        return extract.ChatStreamAccumulator(provider, run.hide)  # type: ignore[attr-defined]
    return NO_USAGE


def _is_raw(kwargs: Mapping[str, Any]) -> bool:
    headers = kwargs.get("extra_headers")
    return isinstance(headers, Mapping) and _RAW_RESPONSE_HEADER in headers
