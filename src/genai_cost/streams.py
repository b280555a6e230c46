"""Stream proxies: the app iterates the SDK's stream as before; the call ends exactly once.

A stream ends when it is exhausted, closed, left by a `with` block, fails, or is garbage-collected
after the app stopped early. The accumulator sees every item and may hide one the app did not ask
for (the usage-only chunk genai-cost requested on the app's behalf). A stream that fails keeps the
usage it reported before the failure.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import wrapt

from genai_cost.telemetry import Call, Outcome

logger = logging.getLogger("genai_cost")


class Accumulator(Protocol):
    def add(self, item: Any) -> bool:
        """Take one stream item; True hides it from the app."""

    def outcome(self) -> Outcome: ...


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


class SyncStream(_StreamProxy):
    def __iter__(self) -> SyncStream:
        return self

    def __next__(self) -> Any:
        accumulator = self._self_accumulator
        while True:
            try:
                item = next(self.__wrapped__)
            except StopIteration:
                _end(self._self_call, accumulator)
                raise
            except BaseException as error:
                _end(self._self_call, accumulator, error)
                raise
            try:  # inline, not a helper call: this runs for every chunk
                hidden = accumulator.add(item)
            except Exception:
                hidden = _unreadable()
            if not hidden:
                return item

    def __enter__(self) -> SyncStream:
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

    async def __anext__(self) -> Any:
        accumulator = self._self_accumulator
        while True:
            try:
                item = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                _end(self._self_call, accumulator)
                raise
            except BaseException as error:
                _end(self._self_call, accumulator, error)
                raise
            try:
                hidden = accumulator.add(item)
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
