"""The month-end forecast and each budget's status, computed exactly from the counters.

The forecast is the recording rules' method: month to date plus the last 24 hours' average rate
until the month ends (UTC). Budgets are read from the `genai_cost:budget_usd:monthly` and
`:daily` series that prometheus/budgets.yml records; their spend is computed here, exactly, by the
budget's scope label (a daily budget against the last 24 hours, as the alerts compare it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from genai_cost.report import figures as fig
from genai_cost.report.client import PromClient
from genai_cost.report.exact import GroupKey, series_total
from genai_cost.report.periods import DAY, Period, iso

if TYPE_CHECKING:
    from genai_cost.report.builder import Group

SCOPE_LABELS = {
    "global": None,
    "service": "job",
    "team": "team",
    "tenant": "tenant_id",
    "model": "gen_ai_request_model",
}
THRESHOLDS = ((1.0, "exceeded"), (0.8, "80%"), (0.5, "50%"))


@dataclass(frozen=True)
class Spend:
    """Exact cost per group over any period, with the report's filters and lookback."""

    client: PromClient
    filters: Mapping[str, str]
    lookback: int

    def by(self, period: Period, labels: Sequence[str]) -> dict[GroupKey, float]:
        from genai_cost.report.builder import grown

        values, _ = grown(self.client, period, list(labels), self.filters, [fig.COST], self.lookback)
        return series_total(values[fig.COST])


def evaluate(
    spend: Spend,
    period: Period,
    by: Sequence[str],
    groups: Sequence[Group],
    total: fig.Figures,
    now: float,
    notes: list[str],
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    month_start, month_end = period.month_bounds()
    forecast = _forecast(spend, period, by, groups, total, now, (month_start, month_end))
    budgets = _budgets(Spend(spend.client, {}, spend.lookback), month_start, month_end, now, notes)
    return forecast, budgets


def _forecast(
    spend: Spend,
    period: Period,
    by: Sequence[str],
    groups: Sequence[Group],
    total: fig.Figures,
    now: float,
    month: tuple[float, float],
) -> dict[str, Any]:
    month_start, month_end = month
    label = iso(month_start)[:7]
    to_date_period = Period(month_start, min(month_end, now), label, "month")
    same = round(period.start) == round(month_start) and round(period.end) == round(to_date_period.end)
    if same:
        mtd = {tuple(g.labels.get(n, "") for n in by): g.figures.cost_usd for g in groups}
        mtd_total = total.cost_usd
    else:
        mtd = spend.by(to_date_period, by)
        mtd_total = sum(mtd.values())
    remaining = max(0.0, month_end - now)
    last_day = spend.by(Period(now - DAY, now, "last 24h", "last"), by) if remaining else {}
    per_key = {key: mtd.get(key, 0.0) + last_day.get(key, 0.0) / DAY * remaining for key in {*mtd, *last_day}}
    for group in groups:
        group.forecast_usd = per_key.get(tuple(group.labels.get(n, "") for n in by), 0.0)
    return {
        "month": label,
        "complete": remaining == 0,
        "month_to_date_usd": mtd_total,
        "last_24h_usd": sum(last_day.values()),
        "remaining_seconds": remaining,
        "forecast_usd": mtd_total + sum(last_day.values()) / DAY * remaining,
        "method": "month to date + the last 24 hours' spend / 86400 x the seconds left in the month (UTC)",
    }


def _budgets(spend: Spend, month_start: float, month_end: float, now: float, notes: list[str]) -> list[dict[str, Any]]:
    at = min(now, month_end)
    found = [(period, series) for period in ("monthly", "daily")
             for series in spend.client.instant(f"genai_cost:budget_usd:{period}")]  # fmt: skip
    if not found:
        notes.append("no budgets: the rules of prometheus/budgets.yml are not loaded in this Prometheus")
        return []
    spent: dict[tuple[str, str | None], dict[GroupKey, float]] = {}  # (window, scope label) -> spend
    month = Period(month_start, at, iso(month_start)[:7], "month")
    last_day = Period(at - DAY, at, "last 24h", "last")
    out = []
    for kind, series in found:
        labels = series["metric"]
        scope = labels.get("budget_scope", "")
        if scope not in SCOPE_LABELS:
            continue
        label = SCOPE_LABELS[scope]
        window, name = (month, "month") if kind == "monthly" else (last_day, "24h")
        if (name, label) not in spent:
            spent[(name, label)] = spend.by(window, [label] if label else [])
        key = () if label is None else (labels.get("budget_key", ""),)
        usd = spent[(name, label)].get(key, 0.0)
        budget = float(series["value"][1])
        entry: dict[str, Any] = {
            "period": kind,
            "scope": scope,
            "key": labels.get("budget_key", ""),
            "team": labels.get("team"),
            "budget_usd": budget,
            "spent_usd": usd,
            "used": usd / budget if budget else None,
            "status": _status(usd, budget),
            "window": f"{iso(window.start)} .. {iso(window.end)}",
        }
        if kind == "monthly":
            if ("24h", label) not in spent:
                spent[("24h", label)] = spend.by(last_day, [label] if label else [])
            rate = spent[("24h", label)].get(key, 0.0) / DAY
            entry["forecast_usd"] = usd + rate * max(0.0, month_end - now)
            entry["forecast_over"] = entry["forecast_usd"] > budget
        out.append(entry)
    out.sort(key=lambda e: -(e["used"] or 0))
    return out


def _status(spent: float, budget: float) -> str:
    if budget <= 0:
        return "exceeded" if spent > 0 else "ok"
    for share, name in THRESHOLDS:
        if spent >= share * budget:
            return name
    return "ok"
