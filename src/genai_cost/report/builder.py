"""Build a report: check the labels asked for, run the exact queries, assemble groups, days and totals."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from genai_cost.report import budgets as budget_status
from genai_cost.report import figures as fig
from genai_cost.report.client import PromClient
from genai_cost.report.exact import LOOKBACK, Counter, GroupKey, Increases, series_total
from genai_cost.report.periods import Period
from genai_cost.report.promql import quote

# The labels every genai-cost counter has, whatever the deployment adds (job, instance, attribution).
HIST = fig.CALLS.name
EXACTNESS = (
    "exact: each figure is the counters' growth between their last samples at or before the period's "
    "bounds; restarted processes and series that began inside the period included"
)


class ReportError(Exception):
    """A question the data cannot answer as asked: no data (exit 1) or an unknown label (exit 2)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Group:
    labels: dict[str, str]
    figures: fig.Figures
    previous_cost_usd: float = 0.0
    daily: list[fig.Figures] = field(default_factory=list)
    forecast_usd: float | None = None


@dataclass
class Report:
    period: Period
    previous: Period
    by: list[str]
    filters: dict[str, str]
    total: fig.Figures
    previous_total_usd: float
    groups: list[Group]
    others: fig.Figures | None  # the groups past --top, summed
    days: list[tuple[float, float]]
    daily: list[fig.Figures]
    forecast: dict[str, Any] | None
    budgets: list[dict[str, Any]]
    notes: list[str]
    calls_available: bool
    raw_series: int = 0
    queries: int = 0
    advice: list[Any] = field(default_factory=list)


def parse_filters(items: Sequence[str]) -> dict[str, str]:
    filters: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ReportError(f"--filter: expected label=value, got {item!r}", code=2)
        filters[fig.label_name(name)] = value.strip()
    return filters


def _matchers(filters: Mapping[str, str]) -> list[str]:
    return [f"{name}={quote(value)}" for name, value in filters.items()]


def _labels_of(client: PromClient, metric: str, period: Period) -> set[str]:
    return set(client.label_names(metric, period.start, period.end))


def check_labels(client: PromClient, period: Period, wanted: Sequence[str]) -> tuple[set[str], bool]:
    """The counters' label names in the period; ReportError for no data or an unknown label."""
    known = _labels_of(client, fig.TOKENS.name, period)
    if not known:
        ever = client.label_names(fig.TOKENS.name, 0, period.end)
        hint = "" if ever else " (no genai-cost series at all: is the app instrumented and scraped?)"
        raise ReportError(f"no genai-cost data between {period.label}: no {fig.TOKENS.name} series{hint}")
    unknown = [name for name in wanted if name not in known]
    if unknown:
        usable = sorted(name for name in known if not name.startswith("__") and name != "gen_ai_token_type")
        raise ReportError(
            f"unknown label {', '.join(map(repr, unknown))}: the genai-cost counters in this period have "
            f"{', '.join(usable)} (aliases: {', '.join(sorted(fig.ALIASES))})",
            code=2,
        )
    histogram = _labels_of(client, HIST, period)
    return known, bool(histogram) and all(name in histogram for name in wanted)


def grown(
    client: PromClient,
    period: Period,
    by: Sequence[str],
    filters: Mapping[str, str],
    counters: Sequence[Counter],
    lookback: int = LOOKBACK,
) -> tuple[dict[Counter, list[dict[GroupKey, float]]], int]:
    """Per counter, per day segment: growth per group key; and how many series were walked raw."""
    increases = Increases(client, period.segments(), by, _matchers(filters), lookback)
    values = increases.compute(counters)
    return values, increases.raw_series


def build(
    client: PromClient,
    period: Period,
    by: Sequence[str],
    filters: Mapping[str, str],
    top: int | None = None,
    lookback: int = LOOKBACK,
    now: float | None = None,
) -> Report:
    now = time.time() if now is None else now
    by = list(dict.fromkeys(by))
    _, calls_available = check_labels(client, period, [*by, *filters])
    counters = [c for c in fig.COUNTERS if calls_available or c is not fig.CALLS]
    values, raw = grown(client, period, by, filters, counters, lookback)
    width = len(by)
    per_day = [
        fig.assemble({c: values[c][i] for c in counters}, width, calls_available) for i in range(len(period.segments()))
    ]
    totals = fig.assemble({c: series_total(values[c]) for c in counters}, width, calls_available)
    if not totals:
        raise ReportError(f"no genai-cost calls recorded in {period.label}")
    previous = period.previous()
    prev_values, _ = grown(client, previous, by, filters, [fig.COST], lookback)
    prev_cost = series_total(prev_values[fig.COST])
    empty = fig.Figures(calls=_zero(calls_available), errors=_zero(calls_available))
    groups = [
        Group(fig.labels_of(by, key), figures, prev_cost.get(key, 0.0), [day.get(key, empty) for day in per_day])
        for key, figures in totals.items()
    ]
    groups.sort(key=lambda g: (-g.figures.cost_usd, -sum(g.figures.tokens.values()), sorted(g.labels.items())))
    total = fig.total_of(totals.values(), calls_available)
    shown, rest = (groups[:top], groups[top:]) if top else (groups, [])
    notes = _notes(client, period, by, filters, calls_available)
    spend = budget_status.Spend(client, filters, lookback)
    forecast, budgets = budget_status.evaluate(spend, period, by, groups, total, now, notes)
    report = Report(
        period, previous, by, dict(filters), total, sum(prev_cost.values()), shown,
        fig.total_of((g.figures for g in rest), calls_available) if rest else None,
        period.segments(), [fig.total_of(day.values(), calls_available) for day in per_day],
        forecast, budgets, notes, calls_available, raw, client.queries,
    )  # fmt: skip
    return report


def _zero(available: bool) -> float | None:
    return 0.0 if available else None


def _notes(client: PromClient, period: Period, by: Sequence[str], filters: Mapping[str, str], calls: bool) -> list[str]:
    notes = [EXACTNESS]
    if not calls:
        missing = [n for n in [*by, *filters] if n not in _labels_of(client, HIST, period)]
        notes.append(
            f"calls and errors: not available by {', '.join(missing) or 'this grouping'} (the duration histogram "
            "carries no attribution labels); shown as '-'"
        )
    rules = client.instant("count(genai_cost:cost_usd:increase1h)")  # loaded now, whatever the period
    if not rules:
        notes.append(
            "the genai-cost recording rules (prometheus/rules/genai-cost.rules.yml) are not loaded in this "
            "Prometheus: nothing here needs them, every figure comes from the raw counters"
        )
    return notes
