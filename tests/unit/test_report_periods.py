"""Report periods: UTC calendar months, --last, --from/--to, the previous period and day segments."""

from __future__ import annotations

import calendar

import pytest

from genai_cost.report import periods


def utc(*parts: int) -> float:
    return float(calendar.timegm((*parts, *(0,) * (6 - len(parts)))))


def test_a_past_month_is_whole_and_its_previous_is_the_month_before() -> None:
    period = periods.month("2026-02", now=utc(2026, 12, 3, 10))
    assert (period.start, period.end, period.label) == (utc(2026, 2, 1), utc(2026, 3, 1), "2026-02")
    previous = period.previous()
    assert (previous.start, previous.end, previous.label) == (utc(2026, 1, 1), utc(2026, 2, 1), "2026-01")
    assert len(period.segments()) == 28
    assert period.segments()[0] == (utc(2026, 2, 1), utc(2026, 2, 2))


def test_this_month_to_date_compares_with_as_far_into_the_month_before() -> None:
    now = utc(2026, 3, 3, 10, 30)
    period = periods.month(None, now=now)
    assert (period.start, period.end, period.label) == (utc(2026, 3, 1), now, "2026-03 (to date)")
    previous = period.previous()
    assert (previous.start, previous.end) == (utc(2026, 2, 1), utc(2026, 2, 3, 10, 30))
    assert period.segments()[-1] == (utc(2026, 3, 3), now)
    assert period.month_bounds() == (utc(2026, 3, 1), utc(2026, 4, 1))


def test_december_rolls_into_the_next_year() -> None:
    period = periods.month("2025-12", now=utc(2026, 6, 1))
    assert period.end == utc(2026, 1, 1)
    assert period.month_bounds() == (utc(2025, 12, 1), utc(2026, 1, 1))


def test_last_splits_at_midnights_and_compares_with_the_same_length_before() -> None:
    now = utc(2026, 3, 3, 10, 30)
    period = periods.last("2d", now=now)
    assert period.segments() == [
        (utc(2026, 3, 1, 10, 30), utc(2026, 3, 2)),
        (utc(2026, 3, 2), utc(2026, 3, 3)),
        (utc(2026, 3, 3), now),
    ]
    assert (period.previous().start, period.previous().end) == (now - 4 * 86400, now - 2 * 86400)
    assert periods.last("30m", now=now).seconds == 1800


def test_from_to_a_date_includes_that_day() -> None:
    period = periods.between("2026-01-30", "2026-02-02", now=utc(2026, 6, 1))
    assert (period.start, period.end) == (utc(2026, 1, 30), utc(2026, 2, 3))
    exact = periods.between("2026-01-30T06:00:00Z", "2026-01-30T18:00:00Z", now=utc(2026, 6, 1))
    assert exact.seconds == 12 * 3600


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: periods.month("2026-13"), "expected YYYY-MM"),
        (lambda: periods.month("2099-01", now=utc(2026, 1, 1)), "has not started"),
        (lambda: periods.last("7 days"), "expected a duration"),
        (lambda: periods.last("0d"), "expected a duration"),
        (lambda: periods.between("2026-02-02", "2026-02-01", now=utc(2026, 6, 1)), "is empty"),
        (lambda: periods.between("yesterday", None), "--from: expected a date"),
    ],
)
def test_bad_periods_say_what_is_wrong(call: object, message: str) -> None:
    with pytest.raises(periods.PeriodError, match=message):
        call()  # type: ignore[operator]
