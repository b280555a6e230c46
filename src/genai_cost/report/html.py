"""The report as one self-contained HTML file: plotly.js is inlined, nothing is fetched at view time.

plotly (the optional extra `genai-cost[report]`) is a well-kept charting library whose Python
package ships the full plotly.js bundle, so the file opens offline and the charts stay interactive
(hover values, legend toggles, zoom). Charts (element ids in brackets): cost per day stacked by
group [chart-cost-daily], cache hit rate and savings per day [chart-cache], share by provider
[chart-share], top spenders [chart-top], month to date and forecast against budgets
[chart-budgets]; then the groups' table and the advice.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from genai_cost.report import formats
from genai_cost.report.builder import Group, Report
from genai_cost.report.periods import day_of

STACKED = 10  # groups drawn one by one in the daily chart; the rest are one "others" series
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin: 12px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.chart { width: 100%; max-width: 1100px; height: 420px; }
.note { color: #666; font-size: 12px; }
"""


def _name(group: Group) -> str:
    return " / ".join(v or "-" for v in group.labels.values())


def cost_daily(report: Report) -> go.Figure:
    days = [day_of(a) for a, _ in report.days]
    figure = go.Figure(layout={"barmode": "stack", "title": "Cost per day (USD)", "yaxis": {"title": "USD"}})
    for group in report.groups[:STACKED]:
        figure.add_bar(name=_name(group), x=days, y=[d.cost_usd for d in group.daily])
    rest = report.groups[STACKED:]
    if rest or report.others is not None:
        shown = [sum(g.daily[i].cost_usd for g in report.groups[:STACKED]) for i in range(len(days))]
        figure.add_bar(name="others", x=days, y=[t.cost_usd - s for t, s in zip(report.daily, shown, strict=True)])
    return figure


def cache_daily(report: Report) -> go.Figure:
    days = [day_of(a) for a, _ in report.days]
    figure = go.Figure(layout={
        "title": "Cache: savings (USD) and hit rate per day",
        "yaxis": {"title": "USD saved"},
        "yaxis2": {"title": "hit rate", "overlaying": "y", "side": "right", "tickformat": ".0%", "rangemode": "tozero"},
    })  # fmt: skip
    figure.add_bar(name="saved USD", x=days, y=[d.cache_savings_usd for d in report.daily])
    figure.add_scatter(
        name="hit rate", x=days, y=[d.cache_hit_rate for d in report.daily], yaxis="y2", mode="lines+markers"
    )
    return figure


def share(report: Report) -> go.Figure:
    label = "gen_ai_provider_name" if "gen_ai_provider_name" in report.by else report.by[0] if report.by else None
    totals: dict[str, float] = defaultdict(float)
    for group in report.groups:
        totals[group.labels.get(label, "") if label else "all"] += group.figures.cost_usd
    if report.others is not None:
        totals["others"] += report.others.cost_usd
    figure = go.Figure(layout={"title": f"Share of cost by {'provider' if label == 'gen_ai_provider_name' else label}"})
    figure.add_pie(labels=list(totals), values=list(totals.values()), sort=False)
    return figure


def top_spenders(report: Report) -> go.Figure:
    top = report.groups[:STACKED][::-1]
    figure = go.Figure(layout={"title": "Top spenders (USD)", "margin": {"l": 260}})
    figure.add_bar(orientation="h", x=[g.figures.cost_usd for g in top], y=[_name(g) for g in top], name="cost")
    return figure


def budgets(report: Report) -> go.Figure:
    figure = go.Figure(
        layout={"barmode": "group", "title": "Month to date and month-end forecast against budgets (USD)"}
    )
    forecast = report.forecast or {}
    names = ["total"]
    spent = [forecast.get("month_to_date_usd", report.total.cost_usd)]
    ahead = [forecast.get("forecast_usd", report.total.cost_usd)]
    limits: list[float | None] = [None]
    for b in report.budgets:
        if b["period"] == "monthly":
            names.append(f"{b['scope']}={b['key']}")
            spent.append(b["spent_usd"])
            ahead.append(b.get("forecast_usd", b["spent_usd"]))
            limits.append(b["budget_usd"])
    figure.add_bar(name="month to date", x=names, y=spent)
    figure.add_bar(name="forecast", x=names, y=ahead)
    if len(names) > 1:
        figure.add_bar(name="budget", x=names, y=limits)
    return figure


CHARTS = (
    ("chart-cost-daily", cost_daily),
    ("chart-cache", cache_daily),
    ("chart-share", share),
    ("chart-top", top_spenders),
    ("chart-budgets", budgets),
)


def _table(report: Report) -> str:
    doc = formats.to_json(report)
    header, rows = formats.table_rows(doc)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _advice(report: Report) -> str:
    if not report.advice:
        return "<p>No recommendations for this period.</p>"
    items = []
    for a in report.advice:
        usd = "unknown" if a.usd is None else f"${a.usd:,.2f}"
        assumptions = "".join(f"<li>{html.escape(t)}</li>" for t in a.assumptions)
        items.append(
            f"<li><b>{html.escape(a.title)}</b>: {usd} <span class='note'>({a.kind})</span>"
            f"<br>{html.escape(a.arithmetic)}<ul class='note'>{assumptions}</ul></li>"
        )
    return f"<ol id='advice'>{''.join(items)}</ol>"


def _chart(div_id: str, figure: go.Figure) -> str:
    figure.update_layout(template="plotly_white")
    body = pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True}, default_height="420px")  # fmt: skip
    return f"<div class='chart-box'>{body}</div>"


def render(report: Report) -> str:
    doc = formats.to_json(report)
    summary = "".join(f"<p>{html.escape(line)}</p>" for line in formats.summary_lines(doc))
    charts = "".join(_chart(div_id, build(report)) for div_id, build in CHARTS)
    budget_lines = "".join(f"<li>{html.escape(line)}</li>" for line in formats.budget_lines(doc))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    title = html.escape(f"LLM cost report {report.period.label}")
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{title}</h1>{summary}{charts}<h2>Groups</h2>{_table(report)}"
        f"<h2>Budgets</h2><ul>{budget_lines or '<li>no budgets loaded</li>'}</ul>"
        f"<h2>What to change</h2>{_advice(report)}<h2>Notes</h2><ul class='note'>{notes}</ul></body></html>\n"
    )


def summary_of(report: Report) -> dict[str, Any]:
    """Series and points each chart draws: what a test compares with the browser's rendering."""
    out = {}
    for div_id, build in CHARTS:
        figure = build(report)
        out[div_id] = [len(trace.x if trace.type != "pie" else trace.labels) for trace in figure.data]
    return out
