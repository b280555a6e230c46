"""`genai-cost report --source ledger`: the report's figures summed from the call ledger.

The same :class:`genai_cost.report.builder.Report` the Prometheus source builds, so every format
of `genai-cost report` renders it: groups by any column or attribution key (conversation and
user included, which Prometheus cannot hold), the top N and the rest as one line, the previous
period, and the days. Forecast and budgets come from Prometheus only and are left out here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from genai_cost.ledger import queries
from genai_cost.ledger.engines import Engine
from genai_cost.report import figures as fig
from genai_cost.report.builder import Group, Report, ReportError
from genai_cost.report.periods import Period, day_of

NOTE = "figures from the call ledger: every call one row, summed per group"
_TOKEN_COLUMNS = {kind: f"{kind}_tokens" for kind in fig.TOKEN_TYPES}


def figures_of(row: Mapping[str, Any]) -> fig.Figures:
    return fig.Figures(
        cost_usd=float(row["cost_usd"]),
        cache_savings_usd=float(row["cache_savings_usd"]),
        tokens={kind: float(row[column]) for kind, column in _TOKEN_COLUMNS.items()},
        unpriced_calls=float(row["unpriced_calls"]),
        calls=float(row["calls"]),
        errors=float(row["errors"]),
    )


def _filters(period: Period, filters: Mapping[str, str]) -> queries.Filters:
    return queries.Filters(
        since=datetime.fromtimestamp(period.start, UTC),
        until=datetime.fromtimestamp(period.end, UTC),
        where=tuple(filters.items()),
    )


def _key(row: Mapping[str, Any], by: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(row[name]) for name in by)


def build(
    engine: Engine, period: Period, by: Sequence[str], filters: Mapping[str, str], top: int | None = None
) -> Report:
    """The report of ``period`` from the ledger (``by`` and ``filters`` as `genai-cost report` names them)."""
    by = list(dict.fromkeys(by))
    chosen = _filters(period, filters)
    total_rows = engine.rows(queries.totals_sql(engine.calls, [], chosen))
    if not total_rows or not int(total_rows[0]["calls"]):
        raise ReportError(f"no calls in the ledger in {period.label}")
    total = figures_of(total_rows[0])
    rows = engine.rows(queries.totals_sql(engine.calls, by, chosen, top))
    keys = [_key(row, by) for row in rows]
    previous = period.previous()
    before = _filters(previous, filters)
    previous_cost = {
        _key(row, by): float(row["cost_usd"])
        for row in engine.rows(queries.totals_sql(engine.calls, by, before, groups=keys))
    }
    daily = _daily(engine, by, chosen, keys, period)
    groups = [Group(dict(zip(by, key, strict=True)), figures_of(row), previous_cost.get(key, 0.0), daily[key])
              for key, row in zip(keys, rows, strict=True)]  # fmt: skip
    others = _rest(total, [g.figures for g in groups]) if top else None
    previous_total = engine.rows(queries.totals_sql(engine.calls, [], before))[0]["cost_usd"]
    days = _daily(engine, [], chosen, [()], period)[()]
    return Report(
        period, previous, by, dict(filters), total, float(previous_total), groups, others,
        period.segments(), days, None, [], [NOTE], True,
    )  # fmt: skip


def _daily(
    engine: Engine, by: Sequence[str], chosen: queries.Filters, keys: Sequence[tuple[str, ...]], period: Period
) -> dict[tuple[str, ...], list[fig.Figures]]:
    """Figures per UTC day of the period for each group in ``keys`` (zeros on days without calls)."""
    sql = queries.totals_sql(engine.calls, [*by, "day"], chosen, groups=keys if by else None)
    found = {(*_key(row, by), str(row["day"])): figures_of(row) for row in engine.rows(sql)}
    dates = [day_of(start) for start, _ in period.segments()]
    return {key: [found.get((*key, date), _empty()) for date in dates] for key in keys}


def _empty() -> fig.Figures:
    return fig.Figures(calls=0.0, errors=0.0)


def _rest(total: fig.Figures, shown: Sequence[fig.Figures]) -> fig.Figures | None:
    """The groups past --top as one line: the total minus the groups shown."""
    rest = fig.Figures(
        cost_usd=total.cost_usd,
        cache_savings_usd=total.cache_savings_usd,
        tokens=dict(total.tokens),
        unpriced_calls=total.unpriced_calls,
        calls=total.calls,
        errors=total.errors,
    )
    for figures in shown:
        rest.cost_usd -= figures.cost_usd
        rest.cache_savings_usd -= figures.cache_savings_usd
        rest.unpriced_calls -= figures.unpriced_calls
        rest.calls = (rest.calls or 0.0) - (figures.calls or 0.0)
        rest.errors = (rest.errors or 0.0) - (figures.errors or 0.0)
        for kind, count in figures.tokens.items():
            rest.tokens[kind] -= count
    return None if not rest.calls else rest
