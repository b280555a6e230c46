"""The HTTP requests of one google-genai call, each with its own usage.

Automatic function calling (AFC) and automatic continuation make several HTTP requests inside one
public call, and the SDK returns only the last request's usage (AFC) or a merged one
(continuation). So the SDK's private per-request methods (`Models._generate_content`,
`_generate_content_stream` and their async twins) are wrapped too: each request made while a
logical call is `current` (a context variable, set around the call and around each step of its
stream) adds its response to that call, and the call is priced request by request. The public
stream's generator makes its requests lazily, while the app reads it: its proxies (`GeminiStream`,
`AsyncGeminiStream`) make the call current at each step.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from genai_cost.call import Call
from genai_cost.google_genai import extract
from genai_cost.instrumentation.stream import Accumulator, AsyncStream, SyncStream
from genai_cost.outcome import Outcome


class Requests:
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
current: ContextVar[Requests | None] = ContextVar("genai_cost_google_genai_requests", default=None)


def request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = current.get()
    response = wrapped(*args, **kwargs)
    if requests is not None:
        requests.new(response)
    return response


async def async_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = current.get()
    response = await wrapped(*args, **kwargs)
    if requests is not None:
        requests.new(response)
    return response


def stream_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = current.get()
    chunks = wrapped(*args, **kwargs)
    if requests is None:
        return chunks
    return _observe(chunks, requests.new())


async def async_stream_request(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    requests = current.get()
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


class StreamAccumulator:
    """A public stream's chunks; usage comes from the requests made while it is read."""

    __slots__ = ("requests", "tier", "last")

    def __init__(self, requests: Requests, tier: Any) -> None:
        self.requests = requests
        self.tier = tier
        self.last: Any = None  # the latest chunk with usage, used only if no request was seen

    def add(self, chunk: Any) -> bool:
        if getattr(chunk, "usage_metadata", None) is not None:
            self.last = chunk
        return False

    def outcome(self) -> Outcome:
        return self.requests.outcome(self.last, self.tier)


class GeminiStream(SyncStream):
    """The SDK's generator makes its HTTP requests lazily: the call is current at each step."""

    def __init__(self, wrapped: Any, call: Call, accumulator: Accumulator, requests: Requests) -> None:
        super().__init__(wrapped, call, accumulator)
        next_item = self._self_step[0]

        def next_in_call() -> Any:
            token = current.set(requests)
            try:
                return next_item()
            finally:
                current.reset(token)

        self._self_step = (next_in_call, *self._self_step[1:])


class AsyncGeminiStream(AsyncStream):
    def __init__(self, wrapped: Any, call: Call, accumulator: Accumulator, requests: Requests) -> None:
        super().__init__(wrapped, call, accumulator)
        self._self_requests = requests

    async def __anext__(self) -> Any:
        token = current.set(self._self_requests)
        try:
            return await super().__anext__()
        finally:
            current.reset(token)
