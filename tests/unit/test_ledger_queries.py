"""The ledger's SQL run in chdb on calls typed from exporter rows: filters, groups, top N, ties."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from genai_cost.ledger import queries, schema
from genai_cost.ledger.engines import TablesLedger

T0 = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
# (minute, user, conversation, model, cost or None for unpriced, error type, a team attribute)
CALLS = [
    (0, "alice", "c1", "gpt-4o", 0.25, "", "search"),
    (1, "alice", "c1", "gpt-4o", 0.5, "", "search"),
    (2, "bob", "c2", "gpt-4o-mini", 0.125, "", "chat"),
    (3, "bob", "c2", "gpt-4o-mini", None, "429", "chat"),
    (60 * 24, "carol", "c3", "gpt-4o", 0.875, "", ""),  # the next day
]
TRACES = """CREATE TABLE IF NOT EXISTS otel.otel_traces (Timestamp DateTime64(9), TraceId String, SpanId String,
 ServiceName LowCardinality(String), ResourceAttributes Map(LowCardinality(String), String), ScopeName String,
 SpanAttributes Map(LowCardinality(String), String), Duration UInt64, StatusCode LowCardinality(String))
 ENGINE = MergeTree ORDER BY Timestamp"""  # the columns the ledger reads, typed as the exporter's DDL


def _row(index: int, call: tuple) -> str:
    minute, user, conversation, model, cost, error, team = call
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": model,
                  "gen_ai.usage.input_tokens": str(100 * (index + 1)), "user.id": user, "team": team,
                  "gen_ai.conversation.id": conversation, "region": "eu" if index % 2 else "us"}  # fmt: skip
    if cost is not None:
        attributes["gen_ai.usage.cost"] = repr(cost)
    else:
        attributes["genai_cost.unpriced.reason"] = "unknown_model"
    if error:
        attributes["error.type"] = error
    pairs = ", ".join(f"{schema.quote(k)}, {schema.quote(v)}" for k, v in attributes.items())
    start = int(T0.timestamp()) + 60 * minute
    return (f"(fromUnixTimestamp64Nano(toInt64({start}) * 1000000000), 'trace{index}', 'span{index}', 'svc', "
            f"map('service.name', 'svc'), 'genai_cost', map({pairs}), {(index + 1) * 10**8}, 'Unset')")  # fmt: skip


@pytest.fixture(scope="module")
def ledger() -> TablesLedger:
    ledger = TablesLedger(TRACES)
    ledger.execute("INSERT INTO otel.otel_traces VALUES " + ", ".join(_row(i, c) for i, c in enumerate(CALLS)))
    # A span of another scope and one without an operation are not calls.
    ledger.execute("INSERT INTO otel.otel_traces VALUES (now64(9), 't', 's', 'svc', map(), 'other', "
                   "map('gen_ai.operation.name', 'chat'), 1, 'Unset'), (now64(9), 't', 's2', 'svc', map(), "
                   "'genai_cost', map(), 1, 'Unset')")  # fmt: skip
    return ledger


def test_every_call_one_row_typed(ledger: TablesLedger) -> None:
    rows = ledger.rows(queries.calls_sql(ledger.calls, queries.Filters()))
    assert [r["span_id"] for r in rows] == [f"span{i}" for i in range(len(CALLS))]
    assert [r["cost"] for r in rows] == [0.25, 0.5, 0.125, 0, 0.875]
    assert [r["input_tokens"] for r in rows] == [100, 200, 300, 400, 500]
    assert rows[3]["error_type"] == "429" and rows[0]["duration_s"] == 0.1


def test_filters(ledger: TablesLedger) -> None:
    def spans(**kwargs: object) -> list[str]:
        return [r["span_id"] for r in ledger.rows(queries.calls_sql(ledger.calls, queries.Filters(**kwargs)))]

    assert spans(user="bob") == ["span2", "span3"]
    assert spans(errors_only=True) == ["span3"]
    assert spans(model="gpt-4o", conversation="c1") == ["span0", "span1"]
    assert spans(since=T0.replace(day=4)) == ["span4"]  # a whole day: answered by date
    assert spans(until=T0.replace(minute=2)) == ["span0", "span1"]  # a moment
    assert spans(where=(("region", "eu"),)) == ["span1", "span3"]  # any attribute
    assert spans(where=(("team", "search"),), tenant="") == ["span0", "span1"]


def test_totals_by_any_key_with_top_and_ties(ledger: TablesLedger) -> None:
    rows = ledger.rows(queries.totals_sql(ledger.calls, ["conversation"], queries.Filters()))
    assert [(r["conversation"], r["cost_usd"], r["calls"]) for r in rows] == [
        ("c3", 0.875, 1), ("c1", 0.75, 2), ("c2", 0.125, 2)]  # fmt: skip
    assert rows[2]["unpriced_calls"] == 1 and rows[2]["errors"] == 1
    top = ledger.rows(queries.totals_sql(ledger.calls, ["user"], queries.Filters(), top=2))
    assert [r["user"] for r in top] == ["carol", "alice"]
    by_two = ledger.rows(queries.totals_sql(ledger.calls, ["model", "region"], queries.Filters(), top=1))
    assert [(r["model"], r["region"]) for r in by_two] == [("gpt-4o", "us")]
    only = ledger.rows(queries.totals_sql(ledger.calls, ["user"], queries.Filters(), groups=[("bob",)]))
    assert [r["user"] for r in only] == ["bob"]
