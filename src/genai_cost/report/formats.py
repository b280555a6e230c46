"""The report as JSON (documented and stable), CSV, a terminal table and Markdown.

JSON is the source of every other format: `to_json` builds the document once and the others render
it, so a figure reads the same in every format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from genai_cost.report import figures as fig
from genai_cost.report.builder import Group, Report
from genai_cost.report.periods import day_of, iso

SCHEMA = "genai-cost.report/1"
COLUMNS = (  # (JSON key, header)
    ("calls", "calls"),
    ("errors", "errors"),
    ("input_tokens", "input"),
    ("cache_read_tokens", "cache read"),
    ("cache_write_tokens", "cache write"),
    ("output_tokens", "output"),
    ("reasoning_tokens", "reasoning"),
    ("cost_usd", "cost USD"),
    ("cache_savings_usd", "saved USD"),
    ("cache_hit_rate", "hit rate"),
    ("unpriced_calls", "unpriced"),
    ("share", "share"),
    ("change_ratio", "vs prev"),
)


def _change(cost: float, previous: float) -> dict[str, float | None]:
    return {
        "previous_cost_usd": previous,
        "change_usd": cost - previous,
        "change_ratio": (cost - previous) / previous if previous else None,
    }


def _group(group: Group, total: float, days: Sequence[tuple[float, float]]) -> dict[str, Any]:
    return {
        "labels": group.labels,
        **fig.as_dict(group.figures),
        "share": group.figures.cost_usd / total if total else None,
        **_change(group.figures.cost_usd, group.previous_cost_usd),
        "forecast_usd": group.forecast_usd,
        "daily": [{"date": day_of(a), **fig.as_dict(day)} for (a, _), day in zip(days, group.daily, strict=True)],
    }


def to_json(report: Report) -> dict[str, Any]:
    total = report.total.cost_usd
    others = None
    if report.others is not None:
        others = {**fig.as_dict(report.others), "share": report.others.cost_usd / total if total else None}
    return {
        "schema": SCHEMA,
        "period": {
            "label": report.period.label,
            "start": iso(report.period.start),
            "end": iso(report.period.end),
            "previous": {
                "label": report.previous.label,
                "start": iso(report.previous.start),
                "end": iso(report.previous.end),
            },
        },
        "by": report.by,
        "filters": report.filters,
        "total": {
            **fig.as_dict(report.total),
            "share": 1.0 if total else None,
            **_change(total, report.previous_total_usd),
        },
        "groups": [_group(group, total, report.days) for group in report.groups],
        "others": others,
        "daily": [
            {"date": day_of(a), "start": iso(a), "end": iso(b), **fig.as_dict(day)}
            for (a, b), day in zip(report.days, report.daily, strict=True)
        ],
        "forecast": report.forecast,
        "budgets": report.budgets,
        "advice": [item.as_dict() for item in report.advice],
        "notes": report.notes,
        "exact": True,
    }


def dumps(report: Report) -> str:
    return json.dumps(to_json(report), indent=2) + "\n"


# --- text renderings ---------------------------------------------------------------------------


def cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("cache_hit_rate", "share"):
        return f"{value:.1%}"
    if key == "change_ratio":
        return f"{value:+.1%}"
    if key.endswith("_usd"):
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def table_rows(doc: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    header = [*doc["by"], *(title for _, title in COLUMNS)]
    rows = [[*(g["labels"].get(n, "") for n in doc["by"]), *(cell(k, g[k]) for k, _ in COLUMNS)] for g in doc["groups"]]
    blank = [""] * max(0, len(doc["by"]) - 1)
    if doc["others"]:
        rows.append(["(others)", *blank, *(cell(k, doc["others"].get(k)) for k, _ in COLUMNS)])
    rows.append(["TOTAL", *blank, *(cell(k, doc["total"].get(k)) for k, _ in COLUMNS)])
    return header, rows


def summary_lines(doc: dict[str, Any]) -> list[str]:
    total, period = doc["total"], doc["period"]
    lines = [
        f"LLM cost report {period['label']}: {period['start']} .. {period['end']} (UTC)",
        f"total ${total['cost_usd']:,.2f}; previous period ({period['previous']['label']}) "
        f"${total['previous_cost_usd']:,.2f} ({cell('change_ratio', total['change_ratio'])}); "
        f"cache saved ${total['cache_savings_usd']:,.2f} at a "
        f"{cell('cache_hit_rate', total['cache_hit_rate'])} hit rate; "
        f"unpriced calls {cell('calls', total['unpriced_calls'])}",
    ]
    forecast = doc["forecast"]
    if forecast and not forecast["complete"]:
        lines.append(f"month-end forecast for {forecast['month']}: ${forecast['forecast_usd']:,.2f}")
    return lines


def budget_lines(doc: dict[str, Any]) -> list[str]:
    lines = []
    for b in doc["budgets"]:
        forecast = f", forecast ${b['forecast_usd']:,.2f}" if "forecast_usd" in b else ""
        used = cell("share", b["used"])
        lines.append(
            f"{b['period']} budget {b['scope']}={b['key']}: ${b['spent_usd']:,.2f} of ${b['budget_usd']:,.2f} "
            f"({used}, {b['status']}){forecast}"
        )
    return lines


def table(report: Report) -> str:
    doc = to_json(report)
    header, rows = table_rows(doc)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    left = len(doc["by"])

    def fmt(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    out = [*summary_lines(doc), "", fmt(header), *(fmt(r) for r in rows)]
    out += ["", *budget_lines(doc)] if doc["budgets"] else []
    out += ["", *(f"note: {n}" for n in doc["notes"])]
    return "\n".join(out) + "\n"


def csv_text(report: Report) -> str:
    """One row per group (and one for the groups past --top); plain numbers, for a spreadsheet."""
    doc = to_json(report)
    keys = [k for k, _ in COLUMNS] + ["previous_cost_usd", "change_usd", "forecast_usd"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["period_start", "period_end", *doc["by"], *keys])
    bounds = [doc["period"]["start"], doc["period"]["end"]]
    for g in doc["groups"]:
        writer.writerow([*bounds, *(g["labels"].get(n, "") for n in doc["by"]), *(_plain(g.get(k)) for k in keys)])
    if doc["others"]:
        writer.writerow(
            [*bounds, "(others)", *[""] * (len(doc["by"]) - 1), *(_plain(doc["others"].get(k)) for k in keys)]
        )
    return buffer.getvalue()


def _plain(value: Any) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def markdown(report: Report) -> str:
    doc = to_json(report)
    header, rows = table_rows(doc)
    out = [f"# LLM cost report {doc['period']['label']}", "", *summary_lines(doc)[1:], ""]
    out += ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    if doc["budgets"]:
        out += ["", "## Budgets", "", *(f"- {line}" for line in budget_lines(doc))]
    if doc["advice"]:
        from genai_cost.report import advise

        out += ["", "## What to change", "", advise.markdown_items(report.advice)]
    out += ["", "## Notes", "", *(f"- {n}" for n in doc["notes"])]
    return "\n".join(out) + "\n"


RENDERERS = {"table": table, "csv": csv_text, "json": dumps, "markdown": markdown}
