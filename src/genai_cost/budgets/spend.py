"""This process's own spend per key in one period: what a budget counts between two fleet reads,
and all it counts without Prometheus.

Monthly spend is a running sum reset when the month changes. Daily spend is kept in 5-minute buckets
with a running total; buckets older than 24 hours are subtracted as time passes. Not thread-safe on
its own: the guard holds its lock around every use.
"""

from __future__ import annotations

from genai_cost.budgets.periods import STEPS_PER_DAY, period_id


class _Monthly:
    __slots__ = ("month", "total")

    def __init__(self, month: int) -> None:
        self.month = month
        self.total = 0.0

    def add(self, cost: float, now: float) -> None:
        self.current(now)
        self.total += cost

    def recent(self, now: float) -> float:
        return self.current(now)  # a month's spend never leaves it: all of it may be unscraped

    def current(self, now: float) -> float:
        month = period_id("monthly", now)
        if month != self.month:
            self.month, self.total = month, 0.0
        return self.total


class _Daily:
    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        self.buckets: dict[int, float] = {}
        self.total = 0.0

    def add(self, cost: float, now: float) -> None:
        self.current(now)
        step = period_id("daily", now)
        self.buckets[step] = self.buckets.get(step, 0.0) + cost
        self.total += cost

    def recent(self, now: float) -> float:
        # The current and the previous bucket: the last 5 to 10 minutes, more than a scrape lags.
        step = period_id("daily", now)
        return self.buckets.get(step, 0.0) + self.buckets.get(step - 1, 0.0)

    def current(self, now: float) -> float:
        # Buckets wholly older than 24 h leave: the window is 24 h to 24 h 5 min, never less.
        oldest = period_id("daily", now) - STEPS_PER_DAY - 1
        expired = [step for step in self.buckets if step <= oldest]
        for step in expired:
            self.total -= self.buckets.pop(step)
        if not self.buckets:
            self.total = 0.0  # no float residue once nothing is left
        return max(self.total, 0.0)


class LocalSpend:
    """Spend per key within one period kind (daily or monthly)."""

    def __init__(self, period: str) -> None:
        self.period = period
        self._keys: dict[str, _Monthly | _Daily] = {}

    def add(self, key: str, cost: float, now: float) -> float:
        """Add a call's cost; the key's spend in the period now."""
        spend = self._keys.get(key)
        if spend is None:
            spend = self._keys[key] = _Monthly(period_id("monthly", now)) if self.period == "monthly" else _Daily()
        spend.add(cost, now)
        return spend.current(now)

    def get(self, key: str, now: float) -> float:
        spend = self._keys.get(key)
        return 0.0 if spend is None else spend.current(now)

    def recent(self, key: str, now: float) -> float:
        """The key's spend a lagging Prometheus may not have scraped yet: the month's, or the last
        5 to 10 minutes' of a daily budget (older spend may have left the fleet's 24 hours)."""
        spend = self._keys.get(key)
        return 0.0 if spend is None else spend.recent(now)

    def keys(self) -> list[str]:
        return list(self._keys)

    def snapshot(self, now: float) -> dict[str, float]:
        """Every key's spend now; keys whose spend dropped to nothing are forgotten."""
        totals = {key: spend.current(now) for key, spend in self._keys.items()}
        for key, total in totals.items():
            if not total:
                del self._keys[key]
        return {key: total for key, total in totals.items() if total}
