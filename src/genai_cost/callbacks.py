"""`genai_cost.on_call(fn)`: the app's own functions, told of every finished LLM call.

Each gets one `CallRecord` per call, in the thread that ended the call (for a stream: the one that
read its end), after the call's figures are final and before its span is exported. A function that
raises is logged once (with its traceback) and never reaches the SDK call; keep them quick, as they
run on the app's path (hand slow work to a queue).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from genai_cost.records import CallRecord

logger = logging.getLogger("genai_cost")

Listener = Callable[["CallRecord"], Any]
F = TypeVar("F", bound=Listener)


class _Registry:
    def __init__(self) -> None:
        self.listeners: tuple[Listener, ...] = ()  # replaced whole, read without the lock
        self._lock = threading.Lock()
        self._failed: set[int] = set()

    def add(self, fn: Listener) -> None:
        with self._lock:
            if fn not in self.listeners:
                self.listeners = (*self.listeners, fn)

    def remove(self, fn: Listener) -> None:
        with self._lock:
            self.listeners = tuple(listener for listener in self.listeners if listener != fn)  # bound methods: ==

    def notify(self, listeners: tuple[Listener, ...], record: CallRecord) -> None:
        for fn in listeners:
            try:
                fn(record)
            except Exception:
                if id(fn) not in self._failed:
                    self._failed.add(id(fn))
                    logger.warning("genai-cost: the on_call function %r raised (logged once)", fn, exc_info=True)


registry = _Registry()


def on_call(fn: F) -> F:
    """Call `fn(record)` for every LLM call that ends from now on; returns `fn` (usable as a decorator)."""
    if not callable(fn):
        logger.warning("genai-cost: ignoring on_call(%r): not callable", fn)
        return fn
    registry.add(fn)
    return fn


def remove_on_call(fn: Listener) -> None:
    """Stop calling `fn`."""
    registry.remove(fn)
