"""What the anthropic SDK's calls are: one patch point per client kind, routed by method and path.

Every Messages API call of the SDK (`messages.create`, `.stream`, `.parse`, `count_tokens`, their
beta twins, the tool runner, batch results) goes through `SyncAPIClient.request` /
`AsyncAPIClient.request` exactly once, retries included, with the request's method, path and body.
Wrapping there sees every call once, whichever helper made it and whichever client class (Anthropic,
AnthropicBedrock, AnthropicVertex) sent it; the helpers (MessageStream, parsed output) then work on
what the wrapper returns.
"""

from __future__ import annotations

import re
from typing import Any

import anthropic
from anthropic._response import APIResponse, AsyncAPIResponse

from genai_cost import endpoints, names, providers
from genai_cost.anthropic import batches, content, extract
from genai_cost.anthropic.sdk_spans import get_tracer_wrapper
from genai_cost.handler import Telemetry
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.raw_response import AsyncRawResponse, RawResponse
from genai_cost.instrumentation.stream import NO_USAGE
from genai_cost.instrumentation.wrapper import Calls, Request, Run, finish, proxy_stream

MESSAGES = Api(
    names.OP_CHAT,
    lambda message, _provider: extract.message_outcome(message),
    request_content=content.request_content,
    response_content=content.response_content,
    stream_content=content.StreamContent,
)
COUNT_TOKENS = Api(names.OP_COUNT_TOKENS, lambda result, _provider: extract.count_tokens_outcome(result))

# (method, path) -> Api. Beta calls use the same paths with `?beta=true` in their params.
_APIS: dict[tuple[str, str], Api] = {
    ("post", "/v1/messages"): MESSAGES,
    ("post", "/v1/messages/count_tokens"): COUNT_TOKENS,
}
_BATCH_RESULTS = re.compile(r"(?:.*/)?v1/messages/batches/[^/]+/results")
_STREAMS = {MESSAGES: extract.MessageStreamAccumulator}

PATCHES = (
    Patch("anthropic._base_client", "SyncAPIClient.request"),
    Patch("anthropic._base_client", "AsyncAPIClient.request", is_async=True),
    # The SDK's own spans: off by default, or kept as children without token counts (sdk_spans.py).
    Patch("anthropic._base_client", "get_tracer", wrapper=get_tracer_wrapper),
)


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[1] if len(args) > 1 else kwargs.get("options")


def _method_and_path(options: Any) -> tuple[str, str]:
    return str(getattr(options, "method", "")).lower(), str(getattr(options, "url", "")).partition("?")[0]


def endpoint_of(client: Any) -> endpoints.Endpoint:
    """Where a client sends its calls; Bedrock and Vertex clients say so by their class, whatever the URL."""
    endpoint = endpoints.endpoint_for(client.base_url, default="anthropic")
    # The SDK's own gen_ai.provider.name of the client class: "anthropic", "aws.bedrock", "gcp.vertex_ai".
    by_class = getattr(type(client), "_gen_ai_provider_name", None)
    if by_class and by_class != "anthropic" and by_class in providers.PROVIDERS:
        return endpoints.Endpoint(providers.PROVIDERS[by_class], endpoint.address, endpoint.port)
    return endpoint


class AnthropicCalls(Calls):
    def route(self, instance: Any, args: Any, kwargs: Any) -> Api | None:
        return _APIS.get(_method_and_path(_options(args, kwargs)))

    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        body = getattr(_options(args, kwargs), "json_data", None)
        body = body if isinstance(body, dict) else {}
        model = body.get("model") if isinstance(body.get("model"), str) else None
        return Request(endpoint_of(instance), model, kwargs.get("stream") is True, body)

    def result(self, run: Run, result: Any) -> Any:
        if isinstance(result, anthropic.Stream | anthropic.AsyncStream):
            accumulator = _STREAMS.get(run.api)
            stream = accumulator() if accumulator else NO_USAGE
            return proxy_stream(run, result, stream, isinstance(result, anthropic.AsyncStream))
        if isinstance(result, AsyncAPIResponse):
            return AsyncRawResponse(result, run)
        if isinstance(result, APIResponse):
            if _is_read(result):  # with_raw_response: parse() is cached, the app gets the same object
                finish(run, result.parse())
                return result
            return RawResponse(result, run)
        return finish(run, result)

    def passthrough(self, result: Any, telemetry: Telemetry, instance: Any, args: Any, kwargs: Any) -> Any:
        method, path = _method_and_path(_options(args, kwargs))
        if method == "get" and _BATCH_RESULTS.fullmatch(path):
            return batches.results(result, telemetry, instance, endpoint_of)
        return result


CALLS = AnthropicCalls()


def _is_read(response: APIResponse[Any]) -> bool:
    """A raw response whose whole body is already here (not a stream, not with_streaming_response)."""
    return not getattr(response, "_is_sse_stream", True) and getattr(response.http_response, "is_closed", False)
