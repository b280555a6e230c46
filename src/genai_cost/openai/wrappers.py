"""Wrapping for the openai SDK: patch points, request adjustments and result handling.

Each patched method starts a Call with what the request says (operation, provider, model,
server) and ends it with what the response says; all reading of responses lives in `extract`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import openai
import wrapt
from openai._legacy_response import LegacyAPIResponse
from openai._response import APIResponse, AsyncAPIResponse
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from genai_cost import endpoints as providers  # endpoint detection moved out of providers.py
from genai_cost import names
from genai_cost.content import Message, Part
from genai_cost.openai import extract
from genai_cost.providers import Provider
from genai_cost.streams import NO_USAGE, Accumulator, AsyncStream, SyncStream
from genai_cost.telemetry import Call, Outcome, Telemetry

logger = logging.getLogger("genai_cost")

_RAW_RESPONSE_HEADER = "X-Stainless-Raw-Response"  # set by with_raw_response / with_streaming_response


@dataclass(frozen=True)
class Api:
    """How one family of openai endpoints is read."""

    operation: str
    outcome: Callable[[Any, Provider], Outcome]
    accumulator: Callable[[Provider, bool], Accumulator] | None = None
    asks_stream_usage: bool = False  # chat-style streams report usage only when asked
    # Opt-in content capture: the request's (input messages, system instructions), the response's
    # output messages, and whether a stream's text comes from chat-style chunks.
    request_content: Callable[[Mapping[str, Any]], tuple[list[Message], list[Part]]] | None = None
    response_content: Callable[[Any], list[Message]] | None = None
    stream_text: bool = False


_CHAT_CONTENT: dict[str, Any] = dict(
    request_content=extract.chat_request_content, response_content=extract.chat_response_content, stream_text=True
)
CHAT = Api(names.OP_CHAT, extract.chat_outcome, extract.ChatStreamAccumulator, asks_stream_usage=True, **_CHAT_CONTENT)
TEXT_COMPLETION = Api(
    names.OP_TEXT_COMPLETION,
    extract.chat_outcome,
    extract.ChatStreamAccumulator,
    asks_stream_usage=True,
    **_CHAT_CONTENT,
)


class _PricedResponses:
    """Ids of Responses already priced, so retrieving a response again never counts it twice."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def first_time(self, response_id: str) -> bool:
        with self._lock:
            if response_id in self._ids:
                return False
            self._ids[response_id] = None
            if len(self._ids) > self._limit:
                self._ids.popitem(last=False)
            return True

    def once(self, outcome: Outcome) -> Outcome:
        if outcome.usage is not None and outcome.response_id and not self.first_time(outcome.response_id):
            outcome.usage, outcome.pending = None, True  # priced when it was first seen
        return outcome


_priced_responses = _PricedResponses()


def forget_priced_responses() -> None:
    """A fresh instrumentation prices every response again (tests, re-instrumentation)."""
    global _priced_responses
    _priced_responses = _PricedResponses()


def _response_outcome(response: Any, provider: Provider) -> Outcome:
    return _priced_responses.once(extract.response_outcome(response, provider))


class _ResponsesStream(extract.ResponsesStreamAccumulator):
    def outcome(self) -> Outcome:
        return _priced_responses.once(super().outcome())


RESPONSES = Api(
    names.OP_CHAT,
    _response_outcome,
    lambda provider, _hide: _ResponsesStream(provider),
    request_content=extract.responses_request_content,
    response_content=extract.responses_response_content,
)
EMBEDDINGS = Api(names.OP_EMBEDDINGS, extract.embeddings_outcome)

# (module, "Class.method", api, is_async)
PATCHES: tuple[tuple[str, str, Api, bool], ...] = (
    ("openai.resources.chat.completions.completions", "Completions.create", CHAT, False),
    ("openai.resources.chat.completions.completions", "Completions.parse", CHAT, False),
    ("openai.resources.chat.completions.completions", "AsyncCompletions.create", CHAT, True),
    ("openai.resources.chat.completions.completions", "AsyncCompletions.parse", CHAT, True),
    ("openai.resources.responses.responses", "Responses.create", RESPONSES, False),
    ("openai.resources.responses.responses", "Responses.parse", RESPONSES, False),
    ("openai.resources.responses.responses", "Responses.retrieve", RESPONSES, False),
    ("openai.resources.responses.responses", "AsyncResponses.create", RESPONSES, True),
    ("openai.resources.responses.responses", "AsyncResponses.parse", RESPONSES, True),
    ("openai.resources.responses.responses", "AsyncResponses.retrieve", RESPONSES, True),
    ("openai.resources.embeddings", "Embeddings.create", EMBEDDINGS, False),
    ("openai.resources.embeddings", "AsyncEmbeddings.create", EMBEDDINGS, True),
    ("openai.resources.completions", "Completions.create", TEXT_COMPLETION, False),
    ("openai.resources.completions", "AsyncCompletions.create", TEXT_COMPLETION, True),
)


def make_wrapper(telemetry: Telemetry, api: Api, is_async: bool) -> Callable[..., Any]:
    if is_async:

        async def async_wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
            started = _start(telemetry, api, instance, kwargs)
            if started is None:
                return await wrapped(*args, **kwargs)
            call, kwargs, hide = started
            call.activate()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as error:
                call.end_failed(error)
                raise
            finally:
                call.deactivate()
            return _on_result(result, call, api, hide)

        return async_wrapper

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        started = _start(telemetry, api, instance, kwargs)
        if started is None:
            return wrapped(*args, **kwargs)
        call, kwargs, hide = started
        call.activate()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error)
            raise
        finally:
            call.deactivate()
        return _on_result(result, call, api, hide)

    return wrapper


def _start(
    telemetry: Telemetry, api: Api, instance: Any, kwargs: dict[str, Any]
) -> tuple[Call, dict[str, Any], bool] | None:
    """Begin a Call; None (call the SDK untouched) when suppressed or when anything goes wrong."""
    if not is_instrumentation_enabled():
        return None
    try:
        endpoint = providers.endpoint_for(instance._client.base_url)
        stream = kwargs.get("stream") is True
        model = kwargs.get("model")
        call = telemetry.start(api.operation, endpoint, model if isinstance(model, str) else None, stream)
        if call.captures_content and api.request_content is not None:
            _record_request(call, api, kwargs)
        hide = False
        if stream and api.asks_stream_usage and not _is_raw(kwargs) and providers.wants_stream_usage(endpoint):
            kwargs, hide = _ask_stream_usage(kwargs)
        return call, kwargs, hide
    except Exception:
        logger.debug("genai-cost: could not start a span", exc_info=True)
        return None


def _is_raw(kwargs: Mapping[str, Any]) -> bool:
    headers = kwargs.get("extra_headers")
    return isinstance(headers, Mapping) and _RAW_RESPONSE_HEADER in headers


def _ask_stream_usage(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Add stream_options.include_usage unless the app chose; True: hide the extra chunk."""
    options = kwargs.get("stream_options")
    if not options:  # not given, None, or the SDK's omit/NOT_GIVEN sentinels
        return {**kwargs, "stream_options": {"include_usage": True}}, True
    if isinstance(options, Mapping) and "include_usage" not in options:
        return {**kwargs, "stream_options": {**options, "include_usage": True}}, True
    return kwargs, False




def _record_request(call: Call, api: Api, kwargs: Mapping[str, Any]) -> None:
    try:
        messages, system = api.request_content(kwargs)  # type: ignore[misc]
        call.record_content(input_messages=messages, system_instructions=system)
    except Exception:
        logger.debug("genai-cost: could not read request content", exc_info=True)


def _record_response(call: Call, api: Api, parsed: Any) -> None:
    try:
        call.record_content(output_messages=api.response_content(parsed))  # type: ignore[misc]
    except Exception:
        logger.debug("genai-cost: could not read response content", exc_info=True)


def _finish(call: Call, api: Api, parsed: Any) -> None:
    if call.captures_content and api.response_content is not None:
        _record_response(call, api, parsed)
    call.end(lambda: api.outcome(parsed, call.endpoint.provider))


def _on_result(result: Any, call: Call, api: Api, hide: bool) -> Any:
    """Record a finished call or hand back a proxy that records when the app is done with it."""
    try:
        if isinstance(result, openai.Stream | openai.AsyncStream):
            return _proxy_stream(result, call, api, hide)
        if isinstance(result, LegacyAPIResponse):
            if getattr(result, "_stream", False):
                return _RawResponse(result, call, api)
            _finish(call, api, result.parse())  # parse() is cached: the app gets the same object
            return result
        if isinstance(result, AsyncAPIResponse):
            return _AsyncRawResponse(result, call, api)
        if isinstance(result, APIResponse):
            return _RawResponse(result, call, api)
        _finish(call, api, result)
    except Exception:
        logger.debug("genai-cost: could not read a result", exc_info=True)
    return result


def _proxy_stream(stream: Any, call: Call, api: Api, hide: bool) -> Any:
    provider = call.endpoint.provider
    accumulator = api.accumulator(provider, hide) if api.accumulator else NO_USAGE
    if call.captures_content:
        accumulator = _CapturingAccumulator(accumulator, call, api)
    if isinstance(stream, openai.AsyncStream):
        return AsyncStream(stream, call, accumulator)
    return SyncStream(stream, call, accumulator)


class _CapturingAccumulator:
    """Collects a stream's output for the opt-in content capture; `inner` does the rest."""

    def __init__(self, inner: Accumulator, call: Call, api: Api) -> None:
        self.inner = inner
        self.call = call
        self.api = api
        self.text = extract.ChatStreamText() if api.stream_text else None

    def add(self, item: Any) -> bool:
        if self.text is not None:
            try:
                self.text.add(item)
            except Exception:  # never at the cost of the usage the inner accumulator reads
                logger.debug("genai-cost: could not read stream content", exc_info=True)
        return self.inner.add(item)

    def outcome(self) -> Outcome:
        if self.text is not None:
            self.call.record_content(output_messages=self.text.messages())
        elif getattr(self.inner, "response", None) is not None:
            _record_response(self.call, self.api, self.inner.response)  # type: ignore[attr-defined]
        return self.inner.outcome()




def _on_parsed(proxy: Any, parsed: Any) -> Any:
    call, api = proxy._self_call, proxy._self_api
    if call.done or proxy._self_handled:
        return parsed
    proxy._self_handled = True
    return _on_result(parsed, call, api, hide=False)


class _RawResponse(wrapt.ObjectProxy):
    """with_raw_response (streamed) and with_streaming_response: priced when the app parses."""

    def __init__(self, wrapped: Any, call: Call, api: Api) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_api = api
        self._self_handled = False

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return _on_parsed(self, self.__wrapped__.parse(*args, **kwargs))

    def __del__(self) -> None:
        if not self._self_handled and not self._self_call.done:
            self._self_call.end(NO_USAGE.outcome)


class _AsyncRawResponse(_RawResponse):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return _on_parsed(self, await self.__wrapped__.parse(*args, **kwargs))
