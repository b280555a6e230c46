"""This process's spend per key: the calendar month (UTC) and the last 24 hours in 5-minute steps."""

from __future__ import annotations

from datetime import UTC, datetime

from genai_cost.budgets.spend import LocalSpend


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_monthly_spend_resets_when_the_month_changes() -> None:
    spend = LocalSpend("monthly")
    assert spend.add("alice", 1.5, at("2026-11-30T23:00:00")) == 1.5
    assert spend.add("alice", 2.0, at("2026-11-30T23:59:59")) == 3.5
    assert spend.get("alice", at("2026-12-01T00:00:00")) == 0.0
    assert spend.add("alice", 0.25, at("2026-12-01T00:00:01")) == 0.25
    assert spend.get("bob", at("2026-12-01T00:00:01")) == 0.0


def test_daily_spend_leaves_the_window_between_24_hours_and_24_hours_5_minutes_later() -> None:
    spend = LocalSpend("daily")
    spend.add("alice", 1.0, at("2026-12-02T10:01:00"))
    spend.add("alice", 2.0, at("2026-12-02T16:00:00"))
    assert spend.get("alice", at("2026-12-03T10:00:59")) == 3.0
    assert spend.get("alice", at("2026-12-03T10:04:59")) == 3.0  # its 5-minute bucket is not wholly out yet
    assert spend.get("alice", at("2026-12-03T10:05:00")) == 2.0
    assert spend.get("alice", at("2026-12-03T16:05:00")) == 0.0
    assert spend.snapshot(at("2026-12-03T16:05:00")) == {}
    assert spend.keys() == []  # a key with nothing left is forgotten


def test_recent_spend_is_the_months_or_the_last_5_to_10_minutes() -> None:
    monthly, daily = LocalSpend("monthly"), LocalSpend("daily")
    for spend in (monthly, daily):
        spend.add("alice", 1.0, at("2026-12-02T10:01:00"))
        spend.add("alice", 2.0, at("2026-12-02T10:06:00"))
        spend.add("alice", 4.0, at("2026-12-02T10:11:00"))
    assert monthly.recent("alice", at("2026-12-02T10:12:00")) == 7.0
    assert daily.recent("alice", at("2026-12-02T10:12:00")) == 6.0
    assert daily.recent("alice", at("2026-12-02T10:20:00")) == 0.0
    assert daily.recent("bob", at("2026-12-02T10:12:00")) == 0.0
