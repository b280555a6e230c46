"""Wrapping for the google-genai SDK: two layers of patch points.

The public methods (`Models.generate_content`, `generate_content_stream`, `embed_content` and their
`AsyncModels` twins; `Chat.send_message*` goes through them) are the logical calls: each gets one
span. Automatic function calling (AFC) and automatic continuation make several HTTP requests inside
one public call, and the SDK returns only the last request's usage (AFC) or a merged one
(continuation). So the private per-request methods (`Models._generate_content`,
`_generate_content_stream` and twins) are wrapped too: each request made while a logical call is
current (a context variable, set around the call and around each step of its stream) adds its own
response to that call, and the call is priced request by request. Reading responses lives in
`extract`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from genai_cost import endpoints as providers  # endpoint detection moved out of providers.py
from genai_cost import names
from genai_cost.google_genai import content, extract
from genai_cost.streams import AsyncStream, SyncStream
from genai_cost.telemetry import Call, Outcome, Telemetry
from genai_cost.usage import field

logger = logging.getLogger("genai_cost")

_MODULE = "google.genai.models"
_GEMINI = "gcp.gemini"
_VERTEX = "gcp.vertex_ai"


class _Requests:
    """The responses of every HTTP request one logical call made, in order.

    Each entry is a one-item list holding the request's latest response that carried usage (for a
    stream: its latest chunk with usage, the server's running total for that request), so an entry
    can be updated while its stream is read and read at any time, also before the stream ends.
    """

    __slots__ = ("responses",)

    def __init__(self) -> None:
        self.responses: list[list[Any]] = []

    def new(self, response: Any = None) -> list[Any]:
        slot = [response]
        self.responses.append(slot)
        return slot

    def outcome(self, fallback: Any, requested_tier: Any) -> Outcome:
        """Usage of all requests (each priced on its own); `fallback`: the public result, when no
        request was seen (an SDK version whose private methods are not patched)."""
        responses = [slot[0] for slot in self.responses if slot[0] is not None]
        if not responses:
            return extract.generate_outcome(fallback, requested_tier)
        outcomes = [extract.generate_outcome(response, requested_tier) for response in responses]
        final = outcomes[-1]
        parts = [o.usage for o in outcomes if o.usage is not None]
        if not parts:
            return final
        final.usage = extract.add_usages(parts)
        final.parts = parts if len(parts) > 1 else None
        return final

    def reported(self, requested_tier: Any) -> Outcome | None:
        """The usage of the requests that succeeded before the call failed (e.g. the first requests
        of automatic function calling); None when none did."""
        if all(slot[0] is None for slot in self.responses):
            return None
        return self.outcome(None, requested_tier)


# The logical call whose requests are being made in this context.
_current: ContextVar[_Requests | None] = ContextVar("genai_cost_google_genai_requests", default=None)


# --- per-request layer (private SDK methods) --------------------------------------------------


def _request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = _current.get()
    response = wrapped(*args, **kwargs)
    if requests is not None:
        requests.new(response)
    return response


async def _async_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = _current.get()
    response = await wrapped(*args, **kwargs)
    if requests is not None:
        requests.new(response)
    return response


def _stream_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = _current.get()
    chunks = wrapped(*args, **kwargs)
    if requests is None:
        return chunks
    return _observe(chunks, requests.new())


async def _async_stream_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = _current.get()
    chunks = await wrapped(*args, **kwargs)
    if requests is None:
        return chunks
    return _observe_async(chunks, requests.new())


def _observe(chunks: Iterator[Any], slot: list[Any]) -> Iterator[Any]:
    try:
        for chunk in chunks:
            if getattr(chunk, "usage_metadata", None) is not None:
                slot[0] = chunk
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


async def _observe_async(chunks: AsyncIterator[Any], slot: list[Any]) -> AsyncIterator[Any]:
    try:
        async for chunk in chunks:
            if getattr(chunk, "usage_metadata", None) is not None:
                slot[0] = chunk
            yield chunk
    finally:
        aclose = getattr(chunks, "aclose", None)
        if aclose is not None:
            await aclose()


# --- logical-call layer (public SDK methods) ---------------------------------------------------


class _StreamAccumulator:
    """A public stream's chunks; usage comes from the requests made while it is read."""

    __slots__ = ("requests", "requested_tier", "last", "call", "text")

    def __init__(self, requests: _Requests, requested_tier: Any, call: Call) -> None:
        self.requests = requests
        self.requested_tier = requested_tier
        self.last: Any = None  # the latest chunk with usage, used only if no request was seen
        self.call = call
        # The output text, only for the opt-in content capture.
        self.text = content.StreamContent() if call.captures_content else None

    def add(self, chunk: Any) -> bool:
        if getattr(chunk, "usage_metadata", None) is not None:
            self.last = chunk
        if self.text is not None:
            try:
                self.text.add(chunk)
            except Exception:  # never at the cost of the usage
                logger.debug("genai-cost: could not read stream content", exc_info=True)
        return False

    def outcome(self) -> Outcome:
        if self.text is not None:
            self.call.record_content(output_messages=self.text.messages())
        return self.requests.outcome(self.last, self.requested_tier)


class _GeminiStream(SyncStream):
    """The SDK's generator reads its HTTP requests lazily: make the call current at each step."""

    def _self_next_item(self, wrapped: Any) -> Callable[[], Any]:
        next_item = super()._self_next_item(wrapped)
        requests = self._self_accumulator.requests

        def next_in_call() -> Any:
            token = _current.set(requests)
            try:
                return next_item()
            finally:
                _current.reset(token)

        return next_in_call


class _AsyncGeminiStream(AsyncStream):
    async def __anext__(self) -> Any:
        token = _current.set(self._self_accumulator.requests)
        try:
            return await super().__anext__()
        finally:
            _current.reset(token)


def _model_name(model: Any) -> str | None:
    """'models/gemini-2.5-flash', 'publishers/google/models/x', 'projects/.../models/x' -> the id."""
    if not isinstance(model, str) or not model:
        return None
    if "models/" in model:
        return model.rsplit("models/", 1)[-1]
    if model.startswith("google/"):
        return model[len("google/") :]
    return model


def _requested_tier(kwargs: dict[str, Any]) -> Any:
    return field(kwargs.get("config"), "service_tier")


def _start(telemetry: Telemetry, instance: Any, kwargs: dict[str, Any], operation: str, stream: bool) -> Call | None:
    """Begin a Call; None (call the SDK untouched) when suppressed or when anything goes wrong."""
    if not is_instrumentation_enabled():
        return None
    try:
        client = instance._api_client
        default = _VERTEX if client.vertexai else _GEMINI
        endpoint = providers.endpoint_for(client._http_options.base_url, default)
        call = telemetry.start(operation, endpoint, _model_name(kwargs.get("model")), stream)
        if call.captures_content and operation == names.OP_GENERATE_CONTENT:
            _record_request(call, kwargs)
        return call
    except Exception:
        logger.debug("genai-cost: could not start a span", exc_info=True)
        return None


def _record_request(call: Call, kwargs: dict[str, Any]) -> None:
    try:
        call.record_content(
            input_messages=content.request_messages(kwargs.get("contents")),
            system_instructions=content.system_instructions(kwargs.get("config")),
        )
    except Exception:
        logger.debug("genai-cost: could not read request content", exc_info=True)


def _record_response(call: Call, response: Any) -> None:
    if call.captures_content:
        try:
            call.record_content(output_messages=content.response_messages(response))
        except Exception:
            logger.debug("genai-cost: could not read response content", exc_info=True)






def generate_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_GENERATE_CONTENT, stream=False)
        if call is None:
            return wrapped(*args, **kwargs)
        requests = _Requests()
        token = _current.set(requests)
        call.activate()
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error, lambda: requests.reported(_requested_tier(kwargs)))
            raise
        finally:
            call.deactivate()
            _current.reset(token)
        _record_response(call, response)
        call.end(lambda: requests.outcome(response, _requested_tier(kwargs)))
        return response

    return wrapper


def async_generate_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_GENERATE_CONTENT, stream=False)
        if call is None:
            return await wrapped(*args, **kwargs)
        requests = _Requests()
        token = _current.set(requests)
        call.activate()
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error, lambda: requests.reported(_requested_tier(kwargs)))
            raise
        finally:
            call.deactivate()
            _current.reset(token)
        _record_response(call, response)
        call.end(lambda: requests.outcome(response, _requested_tier(kwargs)))
        return response

    return wrapper


def stream_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_GENERATE_CONTENT, stream=True)
        if call is None:
            return wrapped(*args, **kwargs)
        try:
            chunks = wrapped(*args, **kwargs)  # a generator: nothing is sent before the first step
        except BaseException as error:
            call.end_failed(error)
            raise
        return _GeminiStream(chunks, call, _StreamAccumulator(_Requests(), _requested_tier(kwargs), call))

    return wrapper


def async_stream_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_GENERATE_CONTENT, stream=True)
        if call is None:
            return await wrapped(*args, **kwargs)
        requests = _Requests()
        token = _current.set(requests)
        try:
            chunks = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error)
            raise
        finally:
            _current.reset(token)
        return _AsyncGeminiStream(chunks, call, _StreamAccumulator(requests, _requested_tier(kwargs), call))

    return wrapper


def embed_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_EMBEDDINGS, stream=False)
        if call is None:
            return wrapped(*args, **kwargs)
        call.activate()
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error)
            raise
        finally:
            call.deactivate()
        call.end(lambda: extract.embed_outcome(response))
        return response

    return wrapper


def async_embed_wrapper(telemetry: Telemetry) -> Callable[..., Any]:
    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        call = _start(telemetry, instance, kwargs, names.OP_EMBEDDINGS, stream=False)
        if call is None:
            return await wrapped(*args, **kwargs)
        call.activate()
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.end_failed(error)
            raise
        finally:
            call.deactivate()
        call.end(lambda: extract.embed_outcome(response))
        return response

    return wrapper


# ("Class.method", wrapper factory): the logical calls, one span each.
PUBLIC_PATCHES: tuple[tuple[str, Callable[[Telemetry], Callable[..., Any]]], ...] = (
    ("Models.generate_content", generate_wrapper),
    ("Models.generate_content_stream", stream_wrapper),
    ("Models.embed_content", embed_wrapper),
    ("AsyncModels.generate_content", async_generate_wrapper),
    ("AsyncModels.generate_content_stream", async_stream_wrapper),
    ("AsyncModels.embed_content", async_embed_wrapper),
)
# ("Class.method", wrapper): one HTTP request each; they only report to the current logical call.
REQUEST_PATCHES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("Models._generate_content", _request),
    ("Models._generate_content_stream", _stream_request),
    ("AsyncModels._generate_content", _async_request),
    ("AsyncModels._generate_content_stream", _async_stream_request),
)
MODULE = _MODULE
