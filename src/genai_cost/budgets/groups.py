"""The budgets of one (scope, period), with the spend they count: this process's and the fleet's.

A call's key in a scope is read from the call itself: "" for global, the process's service name,
the request model, or the call's attribution value (no value: the budgets of that scope do not
apply). `over` holds the keys at or over one of their budgets: the only thing a call's check reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from genai_cost.attribution import prometheus_label
from genai_cost.budgets.file import ANY_KEY, GLOBAL, MODEL, SERVICE, Budget
from genai_cost.budgets.fleet import Query
from genai_cost.budgets.periods import period_id, window_seconds
from genai_cost.budgets.spend import LocalSpend

if TYPE_CHECKING:
    from genai_cost.call import Call

KeyOf = Callable[["Call"], "str | None"]
Hits = tuple[tuple[Budget, float], ...]  # (budget, the key's spend) for each budget the key reached
_NONE: Mapping[str, str] = {}


def key_reader(scope: str, service: str) -> KeyOf:
    """How a call's key in `scope` is read."""
    if scope == GLOBAL:
        return lambda call: ""
    if scope == SERVICE:
        return lambda call: service
    if scope == MODEL:
        return lambda call: call.request_model or None
    return lambda call: (call.attribution or _NONE).get(scope)


def prometheus_labels(scope: str, metric_labels: tuple[str, ...]) -> tuple[str, ...] | None:
    """The labels the scope's spend is summed by in Prometheus; None: it has none (local spend only)."""
    if scope == GLOBAL:
        return ()
    if scope == SERVICE:
        # A Collector's exporter sets job to service.name; with resource attributes as labels, also
        # service_name. A direct scrape sets job to the scrape job's name: name it after the service.
        return ("service_name", "job")
    if scope == MODEL:
        return ("gen_ai_request_model",)
    return (prometheus_label(scope),) if scope in metric_labels else None


class Group:
    """Budgets of one (scope, period) and their spend per key. The guard's lock guards every method."""

    def __init__(self, scope: str, period: str, budgets: list[Budget], key_of: KeyOf, query: Query | None) -> None:
        self.scope = scope
        self.period = period
        self.key_of = key_of
        self.query = query  # None: this process's spend only
        self.specific: dict[str, tuple[Budget, ...]] = {}
        for budget in budgets:
            if budget.key != ANY_KEY:
                self.specific[budget.key] = (*self.specific.get(budget.key, ()), budget)
        self.wildcard = tuple(budget for budget in budgets if budget.key == ANY_KEY)
        self.local = LocalSpend(period)
        self.fleet: dict[str, float] | None = None  # the last read; None before one
        self.fleet_period = 0  # the period that read was in
        self.at_read: dict[str, float] = {}  # this process's spend per key when the fleet was read
        self.over: dict[str, Hits] = {}  # read by checks without the lock (a dict get is atomic)

    @classmethod
    def of(cls, scope: str, period: str, budgets: list[Budget], service: str, labels: tuple[str, ...] | None) -> Group:
        query = None if labels is None else Query(labels, period, lambda now: window_seconds(period, now))
        return cls(scope, period, budgets, key_reader(scope, service), query)

    def budgets_for(self, key: str) -> tuple[Budget, ...]:
        return self.specific.get(key, self.wildcard)

    def spend(self, key: str, now: float) -> float:
        """The key's spend in the period: the fleet's at the last read plus this process's since, and
        never less than this process's own (which Prometheus may not have scraped yet)."""
        local = self.local.get(key, now)
        last_month = self.period == "monthly" and self.fleet_period != period_id(self.period, now)
        if self.fleet is None or last_month:
            return local  # no read yet, or a read of last month's spend
        return max(local, self.fleet.get(key, 0.0) + max(0.0, local - self.at_read.get(key, 0.0)))

    def evaluate(self, key: str, now: float) -> None:
        """Put the key in `over` if its spend reached one of its budgets, else take it out."""
        budgets = self.budgets_for(key)
        if not budgets:
            return
        spend = self.spend(key, now)
        hits = tuple((budget, spend) for budget in budgets if spend >= budget.limit_usd)
        if hits:
            self.over[key] = hits
        elif key in self.over:
            del self.over[key]

    def add(self, key: str, cost: float, now: float) -> None:
        if self.budgets_for(key):
            self.local.add(key, cost, now)
            self.evaluate(key, now)

    def fleet_read(self, figures: dict[str, float], now: float) -> None:
        """Take a read of the fleet's spend. Prometheus holds this process's spend as of its last
        scrape, not as of the read: where the read is below what was counted before it, this
        process's recent spend makes up the difference, so a read never lifts a block it cannot see."""
        figures = dict(figures)
        for key in set(self.fleet or ()) | set(self.local.keys()):
            before, read = self.spend(key, now), figures.get(key, 0.0)
            if before > read:
                figures[key] = read + min(before - read, self.local.recent(key, now))
        self.fleet = figures
        self.fleet_period = period_id(self.period, now)
        self.at_read = self.local.snapshot(now)
        self.evaluate_all(now)

    def evaluate_all(self, now: float) -> None:
        keys = set(self.local.snapshot(now)) | set(self.fleet or ()) | set(self.over)
        for key in keys:
            self.evaluate(key, now)
