"""Wrapping for the anthropic SDK: one patch point per client kind, and result handling.

Every Messages API call of the SDK (`messages.create`, `.stream`, `.parse`, `count_tokens`, their
beta twins, the tool runner, batch results) goes through `SyncAPIClient.request` /
`AsyncAPIClient.request` exactly once, retries included, with the request's method, path and body.
Wrapping there sees every call once, whichever helper made it and whichever client class (Anthropic,
AnthropicBedrock, AnthropicVertex) sent it; the helpers (MessageStream, parsed output) then work on
what the wrapper returns. All reading of responses lives in `extract`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import wrapt
from anthropic._response import APIResponse, AsyncAPIResponse
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from genai_cost import endpoints as providers  # endpoint detection moved out of providers.py
from genai_cost import names
from genai_cost.anthropic import content, extract
from genai_cost.streams import NO_USAGE, Accumulator, AsyncStream, SyncStream
from genai_cost.telemetry import Call, Outcome, Telemetry

logger = logging.getLogger("genai_cost")


@dataclass(frozen=True)
class Api:
    operation: str
    outcome: Callable[[Any], Outcome]
    accumulator: Callable[[], Accumulator] | None = None
    has_content: bool = False  # prompts and replies for the opt-in content capture


MESSAGES = Api(names.OP_CHAT, extract.message_outcome, extract.MessageStreamAccumulator, has_content=True)
COUNT_TOKENS = Api(names.OP_COUNT_TOKENS, extract.count_tokens_outcome)

# (method, path) -> Api. Beta calls use the same paths with `?beta=true` in their params.
_APIS: dict[tuple[str, str], Api] = {
    ("post", "/v1/messages"): MESSAGES,
    ("post", "/v1/messages/count_tokens"): COUNT_TOKENS,
}
_BATCH_RESULTS = re.compile(r"(?:.*/)?v1/messages/batches/[^/]+/results")

# (module, "Class.method", is_async)
PATCHES: tuple[tuple[str, str, bool], ...] = (
    ("anthropic._base_client", "SyncAPIClient.request", False),
    ("anthropic._base_client", "AsyncAPIClient.request", True),
)


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[1] if len(args) > 1 else kwargs.get("options")


def _route(options: Any) -> tuple[Api | None, bool]:
    """The Api of a request, and whether it fetches batch results; (None, False) for anything else."""
    method = str(getattr(options, "method", "")).lower()
    path = str(getattr(options, "url", "")).partition("?")[0]
    api = _APIS.get((method, path))
    if api is not None:
        return api, False
    return None, method == "get" and _BATCH_RESULTS.fullmatch(path) is not None


def make_wrapper(telemetry: Telemetry, is_async: bool) -> Callable[..., Any]:
    if is_async:

        async def async_wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
            api, batch_results = _route(_options(args, kwargs))
            if batch_results:
                return _batch_results(await wrapped(*args, **kwargs), telemetry, instance)
            call = _start(telemetry, api, instance, args, kwargs) if api else None
            if call is None:
                return await wrapped(*args, **kwargs)
            call.activate()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as error:
                call.end_failed(error)
                raise
            finally:
                call.deactivate()
            return _on_result(result, call, api)

        return async_wrapper

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        api, batch_results = _route(_options(args, kwargs))
        if batch_results:
            return _batch_results(wrapped(*args, **kwargs), telemetry, instance)
        call = _start(telemetry, api, instance, args, kwargs) if api else None
        if call is None:
            return wrapped(*args, **kwargs)
        call.activate()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error)
            raise
        finally:
            call.deactivate()
        return _on_result(result, call, api)

    return wrapper


def endpoint_of(client: Any) -> providers.Endpoint:
    """Where a client sends its calls; Bedrock and Vertex clients say so by their class, whatever the URL."""
    endpoint = providers.endpoint_for(client.base_url, default="anthropic")
    # The SDK's own gen_ai.provider.name of the client class: "anthropic", "aws.bedrock", "gcp.vertex_ai".
    by_class = getattr(type(client), "_gen_ai_provider_name", None)
    if by_class and by_class != "anthropic" and by_class in providers.PROVIDERS:
        return providers.Endpoint(providers.PROVIDERS[by_class], endpoint.address, endpoint.port)
    return endpoint


def _start(telemetry: Telemetry, api: Api, client: Any, args: Any, kwargs: Any) -> Call | None:
    """Begin a Call; None (call the SDK untouched) when suppressed or when anything goes wrong."""
    if not is_instrumentation_enabled():
        return None
    try:
        body = getattr(_options(args, kwargs), "json_data", None)
        body = body if isinstance(body, dict) else {}
        model = body.get("model")
        stream = kwargs.get("stream") is True
        call = telemetry.start(api.operation, endpoint_of(client), model if isinstance(model, str) else None, stream)
        if call.captures_content and api.has_content:
            _record_request(call, body)
        return call
    except Exception:
        logger.debug("genai-cost: could not start a span", exc_info=True)
        return None




def _record_request(call: Call, body: dict[str, Any]) -> None:
    try:
        messages, system = content.request_content(body)
        call.record_content(input_messages=messages, system_instructions=system)
    except Exception:
        logger.debug("genai-cost: could not read request content", exc_info=True)


def _record_response(call: Call, api: Api, message: Any) -> None:
    if call.captures_content and api.has_content:
        try:
            call.record_content(output_messages=content.response_content(message))
        except Exception:
            logger.debug("genai-cost: could not read response content", exc_info=True)




def _on_result(result: Any, call: Call, api: Api) -> Any:
    """Record a finished call or hand back a proxy that records when the app is done with it."""
    try:
        if isinstance(result, anthropic.Stream | anthropic.AsyncStream):
            accumulator = api.accumulator() if api.accumulator else NO_USAGE
            if call.captures_content and api.has_content:
                accumulator = _CapturingAccumulator(accumulator, call)
            proxy = AsyncStream if isinstance(result, anthropic.AsyncStream) else SyncStream
            return proxy(result, call, accumulator)
        if isinstance(result, AsyncAPIResponse):
            return _AsyncRawResponse(result, call, api)
        if isinstance(result, APIResponse):
            if _is_read(result):  # with_raw_response: parse() is cached, the app gets the same object
                _record_response(call, api, result.parse())
                call.end(lambda: api.outcome(result.parse()))
                return result
            return _RawResponse(result, call, api)
        _record_response(call, api, result)
        call.end(lambda: api.outcome(result))
    except Exception:
        logger.debug("genai-cost: could not read a result", exc_info=True)
    return result


def _is_read(response: APIResponse[Any]) -> bool:
    """A raw response whose whole body is already here (not a stream, not with_streaming_response)."""
    return not getattr(response, "_is_sse_stream", True) and getattr(response.http_response, "is_closed", False)


class _CapturingAccumulator:
    """Collects a stream's output for the opt-in content capture; `inner` reads the usage."""

    def __init__(self, inner: Accumulator, call: Call) -> None:
        self.inner = inner
        self.call = call
        self.text = content.StreamContent()

    def add(self, event: Any) -> bool:
        try:
            self.text.add(event)
        except Exception:  # never at the cost of the usage the inner accumulator reads
            logger.debug("genai-cost: could not read stream content", exc_info=True)
        return self.inner.add(event)

    def outcome(self) -> Outcome:
        self.call.record_content(output_messages=self.text.messages())
        return self.inner.outcome()




class _RawResponse(wrapt.ObjectProxy):
    """with_raw_response / with_streaming_response: priced when the app parses the body."""

    def __init__(self, wrapped: Any, call: Call, api: Api) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_api = api
        self._self_parsed = False

    def _self_on_parsed(self, parsed: Any, kwargs: dict[str, Any]) -> Any:
        if self._self_parsed or kwargs.get("to") is not None:  # parsed into the app's own type: not a Message
            return parsed
        self._self_parsed = True
        return _on_result(parsed, self._self_call, self._self_api)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_on_parsed(self.__wrapped__.parse(*args, **kwargs), kwargs)

    def __del__(self) -> None:
        if not self._self_call.done:
            self._self_call.end(NO_USAGE.outcome)


class _AsyncRawResponse(_RawResponse):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_on_parsed(await self.__wrapped__.parse(*args, **kwargs), kwargs)


# --- message batches: each succeeded request is one call, priced at the batch rate ---------------


def _batch_results(decoder: Any, telemetry: Telemetry, client: Any) -> Any:
    try:
        endpoint = endpoint_of(client)
        if hasattr(decoder, "__anext__"):
            return _AsyncBatchResults(decoder, telemetry, endpoint)
        return _BatchResults(decoder, telemetry, endpoint)
    except Exception:
        logger.debug("genai-cost: could not read batch results", exc_info=True)
        return decoder


def _record_batch_result(telemetry: Telemetry, endpoint: providers.Endpoint, item: Any) -> None:
    """One span per succeeded batch request, as the app reads the result (the call itself ran earlier)."""
    try:
        outcome = extract.batch_result_outcome(item)
        if outcome is not None and is_instrumentation_enabled():
            telemetry.start(names.OP_CHAT, endpoint, outcome.response_model).finish(outcome)
    except Exception:
        logger.debug("genai-cost: could not record a batch result", exc_info=True)


class _BatchResults(wrapt.ObjectProxy):
    def __init__(self, wrapped: Any, telemetry: Telemetry, endpoint: providers.Endpoint) -> None:
        super().__init__(wrapped)
        self._self_telemetry = telemetry
        self._self_endpoint = endpoint

    def __iter__(self) -> _BatchResults:
        return self

    def __next__(self) -> Any:
        item = next(self.__wrapped__)
        _record_batch_result(self._self_telemetry, self._self_endpoint, item)
        return item


class _AsyncBatchResults(_BatchResults):
    def __aiter__(self) -> _AsyncBatchResults:
        return self

    async def __anext__(self) -> Any:
        item = await self.__wrapped__.__anext__()
        _record_batch_result(self._self_telemetry, self._self_endpoint, item)
        return item
