"""A counter series' growth over a segment from its raw samples, each life of its process counted alone.

Both `walk` and `lives` give two numbers: the series' growth after the segment's start, and what the
fast query counted for it (its last sample minus its last one at or before the start). Restarts are
markers: a restart happened between the two times, found where a witness series dropped.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from operator import itemgetter

Marker = tuple[float, float]  # a restart happened after the first time and before the second


def drops(values: Sequence[Sequence[object]]) -> list[Marker]:
    """(time before, time after) of each drop between consecutive samples."""
    found = []
    previous_at, previous = None, -math.inf  # the first sample drops from nothing
    for at, text in values:
        value = float(text)  # type: ignore[arg-type]
        if value < previous:
            found.append((float(previous_at), float(at)))  # type: ignore[arg-type]
        previous_at, previous = at, value
    return found


def merge(markers: list[Marker]) -> list[Marker]:
    """One marker per restart: overlapping intervals narrowed to their intersection."""
    merged: list[Marker] = []
    for a, b in sorted(markers):
        if merged and a < merged[-1][1]:
            merged[-1] = (max(a, merged[-1][0]), min(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def walk(values: Sequence[Sequence[object]], start: float, restarts: Sequence[Marker] = ()) -> tuple[float, float]:
    """Growth of one counter after `start` from its raw samples: deltas, and after a drop or a restart
    of its process (a marker between two of its samples) the new value. Also what the fast query
    counted for it: its last sample minus its last one at or before `start`."""
    previous_at, previous = -math.inf, None
    base = 0.0  # the last sample at or before start
    grown = 0.0
    following = 0  # index of the first restart that starts at or after the previous sample
    for at_text, text in values:
        at, value = float(at_text), float(text)  # type: ignore[arg-type]
        while following < len(restarts) and restarts[following][0] < previous_at:
            following += 1
        if following < len(restarts) and restarts[following][1] <= at and previous is not None:
            previous = None  # the process restarted between the two samples
        if at <= start:
            base = value
        elif previous is None or value < previous:
            grown += value
        else:
            grown += value - previous
        previous_at, previous = at, value
    last = float(values[-1][1]) if values else 0.0  # type: ignore[arg-type]
    return grown, (last - base if values else 0.0)


def lives(values: Sequence[Sequence[object]], start: float, restarts: Sequence[Marker]) -> tuple[float, float]:
    """What `walk` returns, for a series whose process's restarts are known: each process's life adds
    its last value after `start` (less its last value at or before `start`), found by bisection
    instead of a pass over every sample."""
    if not values:
        return 0.0, 0.0
    at_start = bisect.bisect_right(values, start, key=_TIME)  # samples [0, at_start) are at or before start
    base = float(values[at_start - 1][1]) if at_start else 0.0  # type: ignore[arg-type]
    grown, first = 0.0, 0
    for a, _ in restarts:
        end = max(bisect.bisect_right(values, a, key=_TIME), first)
        grown += _life(values, first, end, start, at_start, base)
        first = end
    grown += _life(values, first, len(values), start, at_start, base)
    return grown, float(values[-1][1]) - base  # type: ignore[arg-type]


_TIME = itemgetter(0)


def _life(values: Sequence[Sequence[object]], first: int, end: int, start: float, at_start: int, base: float) -> float:
    """What the life of samples [first, end) adds: its last value less `base` if it began at or before start."""
    if end > first and float(values[end - 1][0]) > start:  # type: ignore[arg-type]  # it has samples after start
        return float(values[end - 1][1]) - (base if first < at_start else 0.0)  # type: ignore[arg-type]
    return 0.0
