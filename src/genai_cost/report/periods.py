"""Report periods: UTC calendar boundaries, the previous period to compare with, and day segments.

A period is the half-open interval (start, end] of counter time: a figure is the counters' growth
between their last sample at or before `start` and their last sample at or before `end`. Days are
UTC days; a period that starts or ends inside a day has a partial first or last segment.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from genai_cost.price_file import schema as price_schema

DAY = 86400.0
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class PeriodError(ValueError):
    """A period the user gave that cannot be used (bad format, end before start, in the future)."""


@dataclass(frozen=True)
class Period:
    start: float  # epoch seconds, UTC
    end: float
    label: str  # what the user asked for: "2026-11", "last 7d", "2026-11-01 .. 2026-11-15"
    kind: str = "range"  # month | last | range

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def segments(self) -> list[tuple[float, float]]:
        """(start, end) of each UTC day inside the period, the first and last ones clipped to it."""
        bounds = [self.start]
        midnight = _next_midnight(self.start)
        while midnight < self.end:
            bounds.append(midnight)
            midnight += DAY
        bounds.append(self.end)
        return list(zip(bounds, bounds[1:], strict=False))

    def previous(self) -> Period:
        """The period to compare with: the whole previous calendar month (for a month to date, as far
        into it as this period reaches into its own month), else the same length just before."""
        if self.kind == "month":
            first = datetime.fromtimestamp(self.start, UTC)
            before = (first - timedelta(days=1)).replace(day=1)
            start = before.timestamp()
            whole = self.end >= _add_month(first).timestamp()
            end = self.start if whole else min(start + self.seconds, self.start)
            return Period(start, end, before.strftime("%Y-%m"), "month")
        return Period(self.start - self.seconds, self.start, f"before {self.label}", self.kind)

    def month_bounds(self) -> tuple[float, float]:
        """The UTC calendar month that contains the period's end (for the forecast and budgets)."""
        moment = datetime.fromtimestamp(self.end - 1e-3, UTC)
        first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return first.timestamp(), _add_month(first).timestamp()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_of(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def _next_midnight(epoch: float) -> float:
    return (epoch // DAY + 1) * DAY


def _add_month(first: datetime) -> datetime:
    return first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)


def month(text: str | None, now: float | None = None) -> Period:
    """`YYYY-MM` (default: this month): the whole month, or up to now for the current month."""
    now = time.time() if now is None else now
    if text is None:
        first = datetime.fromtimestamp(now, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        try:
            first = datetime.strptime(text.strip(), "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise PeriodError(f"--month: expected YYYY-MM, got {text!r}") from None
    start, end = first.timestamp(), _add_month(first).timestamp()
    if start >= now:
        raise PeriodError(f"--month {first:%Y-%m} has not started yet")
    label = f"{first:%Y-%m}" + (" (to date)" if end > now else "")
    return Period(start, min(end, now), label, "month")


def last(text: str, now: float | None = None) -> Period:
    """`7d`, `24h`, `2w`, `30m`: that long, up to now."""
    found = _DURATION.match(text or "")
    if not found or int(found.group(1)) == 0:
        raise PeriodError(f"--last: expected a duration such as 7d, 24h, 2w or 30m, got {text!r}")
    now = time.time() if now is None else now
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    return Period(now - seconds, now, f"last {found.group(1)}{found.group(2)}", "last")


def between(start_text: str, end_text: str | None, now: float | None = None) -> Period:
    """`--from` (inclusive) to `--to`; a date alone as `--to` includes that whole day. Default end: now."""
    now = time.time() if now is None else now
    start = _instant("--from", start_text)
    end = now if end_text is None else _instant("--to", end_text)
    if end_text is not None and _is_date(end_text):
        end += DAY
    end = min(end, now)
    if end <= start:
        raise PeriodError(f"the period from {iso(start)} to {iso(end)} is empty")
    label = f"{iso(start)} .. {iso(end)}"
    return Period(start, end, label, "range")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _instant(flag: str, text: str) -> float:
    try:
        return price_schema.parse_instant(text)
    except ValueError:
        raise PeriodError(
            f"{flag}: expected a date (2026-11-01) or a date-time (2026-11-01T12:00:00Z), got {text!r}"
        ) from None
