"""The cyclic garbage collector paused while a report reads and counts its samples.

A month of raw samples parsed from the query API is millions of small lists, alive until the
counting is done. Each time the collector ran meanwhile it walked all of them again (more than a
second of a month's report, a third of its CPU). They hold no reference cycles: reference counting
frees them when the counting drops them, and the collector runs again once the last pause ends,
as it was (enabled or not) when the first began.
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
