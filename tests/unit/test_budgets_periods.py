"""Budget periods in time: month bounds in UTC, 5-minute steps, PromQL windows."""

from __future__ import annotations

from genai_cost.budgets.periods import month_start, next_change, next_month_start, period_id, warn_id, window_seconds
from tests.unit.test_budgets_spend import at


def test_month_bounds_in_utc() -> None:
    now = at("2026-12-31T23:59:30")
    assert month_start(now) == at("2026-12-01T00:00:00")
    assert next_month_start(now) == next_change("monthly", now) == at("2027-01-01T00:00:00")
    assert window_seconds("monthly", now) == 30 * 86_400 + 86_370
    assert window_seconds("monthly", at("2026-12-01T00:00:00")) == 1  # never an empty PromQL range
    assert window_seconds("daily", now) == 86_400
    assert next_change("daily", at("2026-12-03T10:02:00")) == at("2026-12-03T10:05:00")


def test_period_ids() -> None:
    assert period_id("monthly", at("2026-12-31T23:59:59")) == 2026 * 12 + 12
    assert period_id("daily", at("1970-01-01T00:10:00")) == 2


def test_warnings_are_once_per_month_or_per_utc_day() -> None:
    assert warn_id("monthly", at("2026-12-01T00:00:00")) == warn_id("monthly", at("2026-12-31T23:59:59"))
    assert warn_id("daily", at("2026-12-02T00:00:00")) == warn_id("daily", at("2026-12-02T23:59:59"))
    assert warn_id("daily", at("2026-12-02T23:59:59")) != warn_id("daily", at("2026-12-03T00:00:00"))
