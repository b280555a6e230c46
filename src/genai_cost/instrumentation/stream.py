"""Stream proxies: the app iterates the SDK's stream as before; the call ends exactly once.

A stream ends when it is exhausted, closed, left by a `with` block, fails, or is garbage-collected
after the app stopped early. The accumulator sees every item and may hide one the app did not ask
for (the usage-only chunk genai-cost requested on the app's behalf). A stream that fails keeps the
usage it reported before the failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Protocol

import wrapt

from genai_cost.call import Call
from genai_cost.outcome import Outcome

logger = logging.getLogger("genai_cost")


class Accumulator(Protocol):
    def add(self, item: Any) -> bool:
        """Take one stream item; True hides it from the app."""

    def outcome(self) -> Outcome: ...


class NoUsage:
    """The accumulator of a stream that never carries usage: its call ends unpriced (`no_usage`)."""

    def add(self, item: Any) -> bool:
        return False

    def outcome(self) -> Outcome:
        return Outcome(usage=None)


NO_USAGE = NoUsage()


def _end(call: Call, accumulator: Accumulator, error: BaseException | None = None) -> None:
    if call.done:
        return
    if error is None:
        call.end(accumulator.outcome)
    else:  # what a broken stream had already reported is billed: counted, never estimated
        call.end_failed(error, accumulator.outcome)


def _unreadable() -> bool:
    """An item the accumulator could not read: logged, and shown to the app as it is."""
    logger.debug("genai-cost: could not read a stream item", exc_info=True)
    return False


class _StreamProxy(wrapt.ObjectProxy):
    def __init__(self, wrapped: Any, call: Call, accumulator: Accumulator) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_accumulator = accumulator

    def __del__(self) -> None:
        _end(self._self_call, self._self_accumulator)


def _items(proxy: SyncStream, next_item: Callable[[], Any], add: Callable[[Any], bool], call: Call,
           accumulator: Accumulator) -> Iterator[Any]:  # fmt: skip
    """The app's `for` loop over a SyncStream: a generator resumes without a method call per chunk.

    `proxy` is only held, so that a stream abandoned mid-loop ends once, when both are collected.
    Only the SDK's step is guarded: the GeneratorExit of an abandoned loop arrives at `yield`.
    """
    while True:
        try:
            item = next_item()
        except StopIteration:
            _end(call, accumulator)
            return
        except BaseException as error:
            _end(call, accumulator, error)
            raise
        try:  # inline, not a helper call: this runs for every chunk
            hidden = add(item)
        except Exception:
            hidden = _unreadable()
        if not hidden:
            yield item


class SyncStream(_StreamProxy):
    def __init__(self, wrapped: Any, call: Call, accumulator: Accumulator) -> None:
        super().__init__(wrapped, call, accumulator)
        # Bound once: each `self._self_*` read per chunk is an attribute lookup through the proxy.
        self._self_step = (self._self_next_item(wrapped), accumulator.add, call, accumulator)

    def _self_next_item(self, wrapped: Any) -> Callable[[], Any]:
        """The SDK stream's own step (a subclass may run it in a context)."""
        step = getattr(wrapped, "__next__", None)
        return step if step is not None else partial(next, wrapped)

    def __iter__(self) -> Iterator[Any]:
        return _items(self, *self._self_step)

    def __next__(self) -> Any:
        next_item, add, call, accumulator = self._self_step
        while True:
            try:
                item = next_item()
            except StopIteration:
                _end(call, accumulator)
                raise
            except BaseException as error:
                _end(call, accumulator, error)
                raise
            try:
                hidden = add(item)
            except Exception:
                hidden = _unreadable()
            if not hidden:
                return item

    def __enter__(self) -> SyncStream:
        if not hasattr(type(self.__wrapped__), "__enter__"):
            # As Python refuses the SDK's own stream (a generator, botocore's EventStream): an app that
            # works instrumented works without genai-cost too.
            raise TypeError(f"{type(self.__wrapped__).__name__!r} object does not support the context manager protocol")
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            _end(self._self_call, self._self_accumulator)

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            _end(self._self_call, self._self_accumulator)


class AsyncStream(_StreamProxy):
    def __aiter__(self) -> AsyncStream:
        return self

    def __init__(self, wrapped: Any, call: Call, accumulator: Accumulator) -> None:
        super().__init__(wrapped, call, accumulator)
        self._self_step = (wrapped, accumulator.add, call, accumulator)  # bound once, as in SyncStream

    async def __anext__(self) -> Any:
        wrapped, add, call, accumulator = self._self_step
        while True:
            try:
                item = await wrapped.__anext__()
            except StopAsyncIteration:
                _end(call, accumulator)
                raise
            except BaseException as error:
                _end(call, accumulator, error)
                raise
            try:
                hidden = add(item)
            except Exception:
                hidden = _unreadable()
            if not hidden:
                return item

    async def __aenter__(self) -> AsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            _end(self._self_call, self._self_accumulator)

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            _end(self._self_call, self._self_accumulator)

    async def aclose(self) -> None:
        """Async generators close with `aclose()` (google-genai's streams are async generators)."""
        try:
            await self.__wrapped__.aclose()
        finally:
            _end(self._self_call, self._self_accumulator)
