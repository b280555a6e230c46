"""A small crafted dataset for the report and advice tests: a calendar month of counters with hand-made
totals, a process restart, a series that starts inside the month and samples before and after it.

Samples every 10 minutes from two hours before the month to two hours after it; each series grows by
the same amount at every sample, so its growth over the month is (samples in the month) x step. A
restart sets the counter back to one step. The expected figures are in TOTALS, the dollars of each
piece of advice are computed by hand in the tests from genai-prices' published rates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from tests.helpers.backfill import SeriesKey

STEP = 600
OPENAI_A = {"job": "svc-a", "instance": "a:9464", "gen_ai_provider_name": "openai",
            "gen_ai_request_model": "gpt-4o", "gen_ai_operation_name": "chat"}  # fmt: skip
OPENAI_B = {"job": "svc-b", "instance": "b:9464", "gen_ai_provider_name": "openai",
            "gen_ai_request_model": "o3", "gen_ai_operation_name": "chat"}  # fmt: skip
UNPRICED = {"job": "svc-b", "instance": "b:9464", "gen_ai_provider_name": "openai",
            "gen_ai_request_model": "my-finetune", "gen_ai_operation_name": "chat"}  # fmt: skip
# Month totals per label set: tokens by type, cost, savings, calls, errors, unpriced calls.
# gpt-4o: 9M uncached x $2.50 + 1M cached x $1.25 + 1M output x $10 = $33.75 (saved 1M x $1.25 = $1.25)
# o3: 2M input x $2 + 2M output x $8 = $20
TOTALS = {
    "gpt-4o": {"input": 10e6, "cache_read": 1e6, "cache_write": 0.0, "output": 1e6, "reasoning": 0.0,
               "cost": 33.75, "savings": 1.25, "calls": 2000.0, "errors": 20.0, "unpriced": 0.0},
    "o3": {"input": 2e6, "cache_read": 0.0, "cache_write": 0.0, "output": 2e6, "reasoning": 1.5e6,
           "cost": 20.0, "savings": 0.0, "calls": 500.0, "errors": 0.0, "unpriced": 0.0},
    "my-finetune": {"input": 3e5, "cache_read": 0.0, "cache_write": 0.0, "output": 1e5, "reasoning": 0.0,
                    "cost": 0.0, "savings": 0.0, "calls": 40.0, "errors": 0.0, "unpriced": 40.0},
}  # fmt: skip
LABELS = {"gpt-4o": OPENAI_A, "o3": OPENAI_B, "my-finetune": UNPRICED}


def month_bounds(year: int, month: int) -> tuple[int, int]:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()), int(end.timestamp())


def _times(start: int, end: int, first: int) -> Iterator[int]:
    at = first
    while at <= end + 7200:
        yield at
        at += STEP


def _counter(total: float, start: int, end: int, first: int, restart: int | None) -> list[tuple[float, float]]:
    """Samples growing by total / (samples in (start, end]) each step; back to one step at `restart`."""
    times = list(_times(start, end, first))
    inside = sum(1 for t in times if start < t <= end)
    step = total / inside
    samples, value = [], 0.0
    for at in times:
        value = step if restart is not None and at == restart else value + step
        samples.append((float(at), value))
    return samples


def series(year: int, month: int) -> dict[SeriesKey, list[tuple[float, float]]]:
    start, end = month_bounds(year, month)
    out: dict[SeriesKey, list[tuple[float, float]]] = {}
    for model, totals in TOTALS.items():
        base = LABELS[model]
        # gpt-4o restarts mid-month; my-finetune starts inside the month; o3 runs all along.
        first = start + 5 * 86400 + 300 if model == "my-finetune" else start - 7200 + 300
        restart = start + 12 * 86400 + 300 if model == "gpt-4o" else None

        def add(
            name: str, total: float, labels: dict[str, str], first: int = first, restart: int | None = restart
        ) -> None:
            key = (name, tuple(sorted(labels.items())))
            out[key] = _counter(total, start, end, first, restart)

        for kind in ("input", "cache_read", "cache_write", "output", "reasoning"):
            add("gen_ai_client_tokens_total", totals[kind], {**base, "gen_ai_token_type": kind})
        if totals["cost"]:
            add("gen_ai_client_cost_usd_total", totals["cost"], base)
            add("gen_ai_client_cost_savings_usd_total", totals["savings"], base)
        if totals["unpriced"]:
            add(
                "gen_ai_client_unpriced_total",
                totals["unpriced"],
                {**base, "genai_cost_unpriced_reason": "unknown_model"},
            )
        add("gen_ai_client_operation_duration_seconds_count", totals["calls"] - totals["errors"], base)
        if totals["errors"]:
            add("gen_ai_client_operation_duration_seconds_count", totals["errors"], {**base, "error_type": "429"})
    return out
