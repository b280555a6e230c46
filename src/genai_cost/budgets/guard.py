"""The budget guard: checks a call against its budgets before it is sent, and counts what it cost.

`check` runs at the start of every call (watch.py) and reads memory only: for each (scope, period)
with a key over budget, the call's key and one dict lookup. `record` adds a finished call's cost to
this process's spend. The fleet's spend arrives from a background thread (fleet.py). A `block`
budget raises BudgetExceeded; a `warn` budget lets the call go with a span event. Both count the
call in genai_cost_budget_exceeded_total and log one line per key and period.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from genai_cost import names
from genai_cost.budgets import file
from genai_cost.budgets.errors import BudgetExceeded, budget_attributes, usd
from genai_cost.budgets.file import Budget
from genai_cost.budgets.fleet import FleetReader, Query
from genai_cost.budgets.groups import Group, Hits, prometheus_labels
from genai_cost.budgets.periods import next_change, warn_id

if TYPE_CHECKING:
    from genai_cost.call import Call
    from genai_cost.config import Config

logger = logging.getLogger("genai_cost")
_MAX_LOGGED = 10_000


class Guard:
    def __init__(
        self,
        budgets: list[Budget],
        meter: Meter,
        service: str = "unknown_service",
        metric_labels: tuple[str, ...] = (),
        prometheus_url: str | None = None,
        refresh: float = 30.0,
        fail_closed: bool = False,
    ) -> None:
        self.budgets = budgets
        self.prometheus_url = prometheus_url
        self.fail_closed = fail_closed
        self.groups = tuple(self._groups(budgets, service, metric_labels, prometheus_url is not None))
        self._lock = threading.Lock()
        self._recheck_at = 0.0  # when spend may next leave a period: every key is evaluated again then
        self.readable: bool | None = None  # the last fleet read: None before the first
        self._refusing = False  # fail-closed and the fleet's spend cannot be read
        self._logged: set[tuple[Budget, str, int]] = set()
        self._exceeded = meter.create_counter(
            names.METRIC_BUDGET_EXCEEDED, unit=names.UNIT_CALL,
            description="GenAI calls started while their key was at or over a budget: blocked or warned.",
        )  # fmt: skip
        self.reader: FleetReader | None = None
        queries = [group.query for group in self.groups if group.query is not None]
        if prometheus_url is not None and queries:
            meter.create_observable_gauge(
                names.METRIC_BUDGET_PROMETHEUS_UP, [self._observe_readable],
                description="1: the fleet's spend was read from Prometheus at the last try; 0: it could not be.",
            )  # fmt: skip
            self.reader = FleetReader(prometheus_url, queries, refresh, self.fleet_read, self.fleet_unreadable)

    @staticmethod
    def _groups(budgets: list[Budget], service: str, metric_labels: tuple[str, ...], fleet: bool) -> list[Group]:
        by_scope: dict[tuple[str, str], list[Budget]] = {}
        for budget in budgets:
            by_scope.setdefault((budget.scope, budget.period), []).append(budget)
        groups = []
        for (scope, period), members in by_scope.items():
            labels = prometheus_labels(scope, metric_labels) if fleet else None
            if fleet and labels is None:
                logger.warning(
                    "genai-cost: budgets of %r count this process's spend only: add it to GENAI_COST_METRIC_LABELS "
                    "so that Prometheus has its label", scope,
                )  # fmt: skip
            groups.append(Group.of(scope, period, members, service, labels))
        return groups

    def start(self) -> Guard:
        if self.reader is not None:
            self.reader.start()
        # The hook lives as long as the process: it holds the guard weakly.
        os.register_at_fork(after_in_child=functools.partial(_in_forked_child, weakref.ref(self)))
        return self

    def after_fork(self) -> None:
        # A forked child (gunicorn --preload, multiprocessing's fork) keeps only the forking thread:
        # the fleet reader is gone and a lock it held would stay held. Give the child its own.
        self._lock = threading.Lock()
        if self.reader is not None:
            self.reader.restart()

    # --- the call's path -----------------------------------------------------------------------
    def check(self, call: Call) -> None:
        """Raise BudgetExceeded if a `block` budget refuses the call; warn for `warn` budgets."""
        if time.time() >= self._recheck_at:
            self.evaluate_all()
        if self._refusing:
            self._refuse_unknown(call)
        for group in self.groups:
            over = group.over
            if over:
                key = group.key_of(call)
                if key is not None:
                    hits = over.get(key)
                    if hits:
                        self._exceeded_by(call, group, key, hits)

    def record(self, call: Call, cost: float) -> None:
        """Add a finished call's cost to its keys' spend."""
        now = time.time()
        with self._lock:
            for group in self.groups:
                key = group.key_of(call)
                if key is not None:
                    group.add(key, cost, now)

    def _exceeded_by(self, call: Call, group: Group, key: str, hits: Hits) -> None:
        refusal: BudgetExceeded | None = None
        for budget, spend in hits:
            self._count(budget, key, spend, budget.action)
            if budget.action == "block":
                refusal = refusal or BudgetExceeded(group.scope, key, group.period, budget.limit_usd, spend)
            else:
                attributes = budget_attributes(group.scope, key, group.period, budget.limit_usd, spend, "warn")
                call.span.add_event(names.BUDGET_EVENT, attributes)
        if refusal is not None:
            raise refusal

    def _refuse_unknown(self, call: Call) -> None:
        now = time.time()
        for group in self.groups:
            key = group.key_of(call) if group.query is not None else None
            for budget in group.budgets_for(key) if key is not None else ():
                if budget.action == "block":
                    with self._lock:
                        spend = group.spend(key, now)
                    self._count(budget, key, spend, "block", log=False)  # the unreadable fleet was logged
                    raise BudgetExceeded(group.scope, key, group.period, budget.limit_usd, spend, spend_unknown=True)

    def _count(self, budget: Budget, key: str, spend: float, action: str, log: bool = True) -> None:
        self._exceeded.add(1, {names.LABEL_SCOPE: budget.scope, names.LABEL_ACTION: action})
        if not log:
            return
        once = (budget, key, warn_id(budget.period, time.time()))
        if once in self._logged:
            return
        if len(self._logged) >= _MAX_LOGGED:
            self._logged.clear()
        self._logged.add(once)
        what = "blocking its calls" if action == "block" else "its calls go on (warn)"
        who = "" if budget.scope == file.GLOBAL else f" for {key!r}"
        logger.warning("genai-cost: budget %s reached%s: %s spent; %s", budget.describe(), who, usd(spend), what)

    # --- spend changing in the background -----------------------------------------------------
    def evaluate_all(self) -> None:
        now = time.time()
        with self._lock:
            for group in self.groups:
                group.evaluate_all(now)
            self._recheck_at = min((next_change(group.period, now) for group in self.groups), default=now + 3600)

    def fleet_read(self, figures: dict[Query, dict[str, float]], now: float) -> None:
        with self._lock:
            for group in self.groups:
                if group.query is not None:
                    group.fleet_read(figures[group.query], now)
            recovered = self.readable is False
            self.readable, self._refusing = True, False
        if recovered:
            logger.warning("genai-cost: the fleet's spend is readable again from %s", self.prometheus_url)

    def fleet_unreadable(self, error: Exception) -> None:
        with self._lock:
            first = self.readable is not False
            self.readable, self._refusing = False, self.fail_closed
        if first:
            then = (
                "calls under a block budget are refused (GENAI_COST_BUDGETS_UNREADABLE=closed)"
                if self.fail_closed
                else "budgets count the last figures read plus this process's spend (fail-open)"
            )
            logger.warning(
                "genai-cost: cannot read the fleet's spend from %s (%s); %s", self.prometheus_url, error, then
            )

    def _observe_readable(self, options: CallbackOptions) -> Iterable[Observation]:
        readable = self.readable
        return [] if readable is None else [Observation(1 if readable else 0)]


def _in_forked_child(ref: weakref.ref[Guard]) -> None:
    guard = ref()
    if guard is not None:
        guard.after_fork()


def guard_from_config(cfg: Config, meter: Meter, tracer: Any) -> Guard | None:
    """The guard the configuration asks for, started; None without a budgets file or with a broken one."""
    if not cfg.budgets_file:
        return None
    try:
        budgets = file.load(cfg.budgets_file)
    except file.BudgetFileError as error:
        problems = "; ".join(problem.format(error.path) for problem in error.problems)
        logger.error("genai-cost: the budgets file is not used, no budget is enforced: %s", problems)
        return None
    guard = Guard(
        budgets, meter, service_name(tracer), cfg.metric_labels, cfg.budgets_prometheus_url, cfg.budgets_refresh,
        cfg.budgets_unreadable == "closed",
    )  # fmt: skip
    return guard.start()


def service_name(tracer: Any) -> str:
    """The process's service.name: the tracer's resource, else OTEL_SERVICE_NAME."""
    attributes = getattr(getattr(tracer, "resource", None), "attributes", None) or {}
    name = attributes.get("service.name") or os.environ.get("OTEL_SERVICE_NAME", "").strip()
    return str(name) if name else "unknown_service"
