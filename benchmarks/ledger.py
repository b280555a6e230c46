"""The call ledger at scale: one million calls in the ClickHouse exporter's table, four questions.

    PYTHONPATH=src:. python benchmarks/ledger.py [--calls 1000000] [--repeat 15]

The ``otel_traces`` table is created with the ClickHouse exporter's own DDL (v0.159.0, from the Go
module cache that collector/build.sh fills) in chdb, with the ledger's typed table and the
materialized view that types every inserted span (``genai-cost ledger-schema``). Spans are inserted
as the exporter writes them (attribute maps of strings) over 30 days: 20 models, 2,000 users of 50
tenants, conversations of 7 calls. Each question is the SQL of :mod:`genai_cost.ledger.queries`,
the same text `genai-cost calls` and `genai-cost report --source ledger` run; the median of
``--repeat`` runs is printed, with the threshold of 100 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tests.helpers.clickhouse import traces_ddl

from genai_cost.ledger import queries
from genai_cost.ledger.engines import TablesLedger

START = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 30
THRESHOLD_MS = 100.0
CHUNK = 250_000


def _spans(first: int, count: int, total: int) -> str:
    """INSERT ... SELECT of ``count`` exporter rows from number ``first`` on, spread over 30 days."""
    step_ms = DAYS * 86_400_000 // total
    attributes = (
        "map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'openai', "
        "'gen_ai.request.model', concat('model-', toString(number % 20)), "
        "'gen_ai.response.model', concat('model-', toString(number % 20), '-2025'), "
        "'gen_ai.usage.input_tokens', toString(100 + number % 4000), "
        "'gen_ai.usage.output_tokens', toString(10 + number % 700), "
        "'gen_ai.usage.cache_read.input_tokens', toString(number % 3 * 64), "
        "'gen_ai.usage.cost', toString((100 + number % 4000) * 0.15e-6 + (10 + number % 700) * 0.6e-6), "
        "'genai_cost.cost.source', 'bundled', 'server.address', 'api.openai.com', 'server.port', '443', "
        "'user.id', concat('user-', toString(sipHash64(intDiv(number, 7)) % 2000)), "
        "'tenant.id', concat('tenant-', toString(sipHash64(intDiv(number, 7)) % 2000 % 50)), "
        "'gen_ai.conversation.id', concat('conv-', toString(intDiv(number, 7))))"
    )
    return f"""
INSERT INTO otel.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
    ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT
    toDateTime64('{START:%Y-%m-%d %H:%M:%S}', 9, 'UTC') + toIntervalMillisecond(number * {step_ms}),
    lower(hex(sipHash128(number))), lower(hex(sipHash64(number))), '', '',
    concat('chat model-', toString(number % 20)), 'Client', concat('service-', toString(number % 8)),
    map('service.name', concat('service-', toString(number % 8)), 'deployment.environment.name', 'prod'),
    'genai_cost', '0.1.0', {attributes}, (200 + number % 5000) * 1000000,
    if(number % 97 = 0, 'Error', 'Unset'), ''
FROM numbers({first}, {count})"""


def fill(ledger: TablesLedger, calls: int) -> float:
    started = time.perf_counter()
    for first in range(0, calls, CHUNK):
        ledger.execute(_spans(first, min(CHUNK, calls - first), calls))
    ledger.execute("OPTIMIZE TABLE otel.genai_calls FINAL")
    return time.perf_counter() - started


def questions(ledger: TablesLedger, calls: int) -> dict[str, str]:
    calls_sql, totals_sql, Filters = queries.calls_sql, queries.totals_sql, queries.Filters
    day = START + timedelta(days=12)
    month = Filters(since=START, until=START + timedelta(days=DAYS))
    return {
        "per-request log: one user, one day": calls_sql(
            ledger.calls, Filters(user="user-42", since=day, until=day + timedelta(days=1))
        ),
        "totals of one conversation": totals_sql(ledger.calls, [], Filters(conversation=f"conv-{calls // 14}")),
        "cost per model, 30 days": totals_sql(ledger.calls, ["request_model"], month),
        "top 10 conversations by cost": totals_sql(ledger.calls, ["conversation"], Filters(), top=10),
    }


def median_ms(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    result = run()  # warm: first read of the parts
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genai-cost-ledger-bench-") as path:
        ledger = TablesLedger(traces_ddl(), path=path)
        seconds = fill(ledger, args.calls)
        count = ledger.rows(f"SELECT count() AS n FROM {ledger.calls}")[0]["n"]
        assert int(count) == args.calls, count
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"chdb {_chdb_version()} on {platform.machine()}, {os.cpu_count()} CPUs (load average {load}); "
              f"{args.calls:,} calls inserted and typed in {seconds:.1f} s\n")  # fmt: skip
        print(f"{'question':40} {'median ms':>10} {'rows':>6}  under {THRESHOLD_MS:.0f} ms")
        failed = 0
        for name, sql in questions(ledger, args.calls).items():
            ms, rows = median_ms(lambda sql=sql: ledger.rows(sql), args.repeat)
            ok = ms < THRESHOLD_MS
            failed += not ok
            print(f"{name:40} {ms:10.1f} {len(rows):6}  {'yes' if ok else 'NO'}")  # type: ignore[arg-type]
    return 1 if failed else 0


def _chdb_version() -> str:
    from importlib.metadata import version

    return version("chdb")


if __name__ == "__main__":
    raise SystemExit(main())
