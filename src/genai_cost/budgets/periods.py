"""Budget periods in time: the calendar month (UTC) and the last 24 hours, in 5-minute steps.

A monthly budget counts from 00:00 UTC on the first of the month. A daily budget counts the last
24 hours: this process's spend is kept in 5-minute buckets, so a cost leaves the window between 24 h
and 24 h 5 min after it was made; the fleet's comes from Prometheus over exactly 24 h.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

DAY = 86_400
STEP = 300  # seconds per bucket of a daily budget's local spend
STEPS_PER_DAY = DAY // STEP


def month_start(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC).timestamp()


def next_month_start(now: float) -> float:
    moment = datetime.fromtimestamp(now, UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).timestamp()


# The month last asked about: (start, end, id). Every finished call asks, and a datetime costs ~1 us.
_month: tuple[float, float, int] = (0.0, 0.0, 0)


def period_id(period: str, now: float) -> int:
    """Which period `now` is in: the month (year * 12 + month) or, for daily, the 5-minute step."""
    if period != "monthly":
        return int(now // STEP)
    global _month
    start, end, month = _month
    if not start <= now < end:
        moment = datetime.fromtimestamp(now, UTC)
        month = moment.year * 12 + moment.month
        _month = (month_start(now), next_month_start(now), month)
    return month


def next_change(period: str, now: float) -> float:
    """When spend counted now may next drop out of the period (a re-evaluation is due then)."""
    if period == "monthly":
        return next_month_start(now)
    return (now // STEP + 1) * STEP


def window_seconds(period: str, now: float) -> int:
    """The period's length up to `now` in whole seconds (at least 1), as a PromQL range."""
    if period == "monthly":
        return max(1, math.ceil(now - month_start(now)))
    return DAY


def warn_id(period: str, now: float) -> int:
    """What "once per period" means for a log line: the month, or the UTC day of a daily budget."""
    return period_id(period, now) if period == "monthly" else int(now // DAY)
