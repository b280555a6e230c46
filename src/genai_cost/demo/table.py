"""What the demo prints: the live Prometheus endpoint read back, as a table per provider and model."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, fields

from prometheus_client.parser import text_string_to_metric_families

from genai_cost import names

# --- reading the telemetry back from Prometheus ------------------------------------------------------


@dataclass
class Row:
    calls: float = 0
    input: float = 0
    cached: float = 0
    written: float = 0
    output: float = 0
    cost: float = 0
    savings: float = 0
    unpriced: float = 0

    def add(self, other: Row) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_TOKEN_FIELDS = {
    names.TOKEN_INPUT: "input",
    names.TOKEN_CACHE_READ: "cached",
    names.TOKEN_CACHE_WRITE: "written",
    names.TOKEN_OUTPUT: "output",
}
_SERIES_FIELDS = {
    "gen_ai_client_cost_usd_total": "cost",
    "gen_ai_client_cost_savings_usd_total": "savings",
    "gen_ai_client_unpriced_total": "unpriced",
    "gen_ai_client_operation_duration_seconds_count": "calls",
}


def _prom(attribute: str) -> str:
    return attribute.replace(".", "_")


def _row_key(labels: Mapping[str, str]) -> tuple[str, str]:
    model = labels.get(_prom(names.RESPONSE_MODEL)) or labels.get(_prom(names.REQUEST_MODEL)) or "(none)"
    return labels.get(_prom(names.PROVIDER_NAME), "(none)"), model


def _field_of(name: str, labels: Mapping[str, str]) -> str | None:
    if name == "gen_ai_client_tokens_total":
        return _TOKEN_FIELDS.get(labels.get(_prom(names.TOKEN_TYPE), ""))
    return _SERIES_FIELDS.get(name)


@dataclass
class Report:
    rows: dict[tuple[str, str], Row]
    unpriced_reasons: dict[tuple[str, str, str], float]  # (provider, model, reason) -> calls


def parse_metrics(text: str) -> Report:
    """Rows per (provider, model) from the Prometheus text exposition of genai-cost's series."""
    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    reasons: dict[tuple[str, str, str], float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            field = _field_of(sample.name, sample.labels)
            if field is None:
                continue
            key = _row_key(sample.labels)
            row = rows[key]
            setattr(row, field, getattr(row, field) + sample.value)
            if field == "unpriced" and sample.value:
                reasons[(*key, sample.labels.get(_prom(names.UNPRICED_REASON), "?"))] += sample.value
    return Report(dict(rows), dict(reasons))


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


# --- the table ---------------------------------------------------------------------------------------

_HEADERS = (
    "provider",
    "model",
    "calls",
    "input",
    "cached",
    "written",
    "output",
    "cache hit",
    "cost USD",
    "savings USD",
    "unpriced",
)


def _cells(provider: str, model: str, row: Row) -> tuple[str, ...]:
    hit_rate = f"{row.cached / row.input:.1%}" if row.input else "-"
    # Rows with no cost series (unpriced models, failed calls) show "-", never a made-up $0.
    priced = bool(row.cost or row.savings)
    cost = f"{row.cost:.6f}" if priced else "-"
    counts = (f"{int(v)}" for v in (row.calls, row.input, row.cached, row.written, row.output))
    savings = f"{row.savings:.6f}" if priced else "-"
    return (provider, model, *counts, hit_rate, cost, savings, f"{int(row.unpriced)}")


def format_table(rows: Mapping[tuple[str, str], Row]) -> str:
    total = Row()
    lines = [_HEADERS]
    for (provider, model), row in sorted(rows.items()):
        lines.append(_cells(provider, model, row))
        total.add(row)
    lines.append(_cells("TOTAL", "", total))
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADERS))]

    def render(cells: tuple[str, ...]) -> str:
        text = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(text).rstrip()

    rule = "-" * len(render(lines[0]))
    return "\n".join([render(lines[0]), rule, *map(render, lines[1:-1]), rule, render(lines[-1])])


_REASON_NOTES = {
    names.UNPRICED_UNKNOWN_MODEL: "no price known for this model",
    names.UNPRICED_NO_USAGE: "no usage reported (e.g. a stream left before its usage chunk)",
    names.UNPRICED_LOCAL_MODEL: "local model without a user price",
    names.UNPRICED_INVALID_USAGE: "inconsistent usage",
}


def format_notes(report: Report, spans: int) -> list[str]:
    notes = [
        f"unpriced: {provider}/{model}, {int(n)} call(s): {reason}, {_REASON_NOTES.get(reason, reason)}"
        for (provider, model, reason), n in sorted(report.unpriced_reasons.items())
    ]
    calls = int(sum(row.calls for row in report.rows.values()))
    verdict = "match" if calls == spans else "MISMATCH"
    notes.append(f"cross-check: {calls} calls in the metrics, {spans} spans recorded: {verdict}")
    return notes
