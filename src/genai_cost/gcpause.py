"""The cyclic garbage collector paused while many long-lived objects are built at once.

Each collection that the allocations trigger walks the whole heap (the app's too) and frees none of
them: a report's month of raw samples (millions of small lists; more than a second, a third of the
report's CPU) and genai-prices' data (about 17,000 objects; next to an SDK, 60 ms of a 90 ms load).
They hold no reference cycles to collect. Pauses nest and overlap across threads; the collector
runs again once the last one ends, as it was (enabled or not) when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # pauses under way, in any thread
_resume = False  # whether the collector was enabled when the first pause began


@contextmanager
def paused() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
