"""The call ledger on one machine, live: an app using the openai, anthropic and google-genai SDKs
under `opentelemetry-instrument` -> the Collector built from the manifest, running otelcol.yaml
with ledger.yaml laid over it -> zstd OTLP-JSON files -> `genai-cost calls` and the ledger totals.

The calls are made in rounds for different users, tenants and conversations; between rounds the
Collector is restarted and the ledger file is rotated (by filler calls posted over OTLP). The
truth is what the traces pipeline of otelcol.yaml forwards to an in-test OTLP receiver, checked
against the number of calls each SDK round makes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from genai_cost import names
from genai_cost.ledger import otlp_files, queries
from genai_cost.ledger.engines import FileLedger, TablesLedger
from tests.helpers import clickhouse, free_port, ledger_calls
from tests.helpers.collector import REPO, Collector
from tests.helpers.instrumented import base_env, otel_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord

OTELCOL = REPO / "collector" / "otelcol.yaml"
LEDGER = REPO / "collector" / "ledger.yaml"
GATE = "--feature-gates=exporter.file.nativeCompression"
# Calls per SDK round of genai_app.py (see test_zero_code.EXPECTED): 8 openai, 4 anthropic, 4 google-genai.
CALLS_PER_ROUND = {"openai": 8, "anthropic": 4, "google_genai": 4}
BEFORE_RESTART = [("openai", "alice", "acme", "conv-1"), ("anthropic", "bob", "acme", "conv-2")]
AFTER_RESTART = [("google_genai", "alice", "acme", "conv-1"), ("openai", "carol", "globex", "conv-3")]
AFTER_ROTATION = [("anthropic", "bob", "acme", "conv-2"), ("google_genai", "carol", "globex", "conv-4")]
ROUNDS = BEFORE_RESTART + AFTER_RESTART + AFTER_ROTATION


@dataclass
class Run:
    ledger_dir: Path
    spans: list[SpanRecord]  # genai_cost spans the receiver got: the truth
    requests: list[ExportTraceServiceRequest]
    round_started: list[int]  # ns, start of each app round
    filler_ids: set[tuple[str, str]]


def _ours(receiver: OtlpReceiver) -> list[SpanRecord]:
    return [s for s in receiver.spans if s.scope_name == names.SCOPE_NAME]


def _settle(receiver: OtlpReceiver, count: int, timeout: float = 20) -> None:
    """Wait until the receiver holds ``count`` genai_cost spans (and no more arrive)."""
    receiver.wait_for_spans(lambda spans: sum(s.scope_name == names.SCOPE_NAME for s in spans) >= count, timeout)
    time.sleep(1.5)  # the traces pipeline's batch flush: anything extra would arrive now
    assert len(_ours(receiver)) == count, f"expected {count} genai spans, got {len(_ours(receiver))}"


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
    otlp_receiver: OtlpReceiver,
    sdk_env: dict[str, str],
    run_instrumented: Callable[..., Any],
) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("ledger")
    ledger_dir = work / "ledger"
    collector = Collector(
        work / "otelcol",
        OTELCOL,
        traces_endpoint=otlp_receiver.endpoint,
        extra_env={"LEDGER_DIR": str(ledger_dir), "LEDGER_ROTATE_MEGABYTES": "1"},
        extra_args=[f"--config={LEDGER}", GATE],
    )
    env = base_env(**otel_env("ledger-app", collector.otlp_http_url + "/v1/traces", free_port()), **sdk_env)
    env["OTEL_METRICS_EXPORTER"] = "none"
    expected, started = 0, []
    with collector:
        app = run_instrumented("ledger_app.py", env)
        app.wait_for_line(lambda line: line == "READY", timeout=30)

        def play(rounds: list[tuple[str, str, str, str]]) -> None:
            nonlocal expected
            for sdk, user, tenant, conversation in rounds:
                started.append(time.time_ns())
                app.send_line(f"calls {sdk} {user} {tenant} {conversation}")
                app.wait_for_line(lambda line, sdk=sdk: line == f"DONE {sdk}", timeout=60)
                expected += CALLS_PER_ROUND[sdk]
                _settle(otlp_receiver, expected)

        try:
            play(BEFORE_RESTART)
            assert collector.process is not None
            collector.process.terminate()
            collector.start()
            play(AFTER_RESTART)
            fillers = ledger_calls.post_fillers(collector.otlp_http_url)
            expected += ledger_calls.FILLER_CALLS
            _settle(otlp_receiver, expected)
            play(AFTER_ROTATION)
            app.send_line("exit")
            assert app.wait(timeout=20) == 0, app.diagnostics()
        finally:
            app.kill()
    yield Run(ledger_dir, _ours(otlp_receiver), otlp_receiver.requests(), started, fillers)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
    return subprocess.run(
        [sys.executable, "-m", "genai_cost", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _calls(run: Run, *args: str) -> list[dict[str, Any]]:
    done = _cli("calls", "--ledger", str(run.ledger_dir), "--format", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _ids(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(row["trace_id"], row["span_id"]) for row in rows]


def _app_spans(run: Run) -> list[SpanRecord]:
    return [s for s in run.spans if (s.trace_id, s.span_id) not in run.filler_ids]


def test_every_round_made_its_calls(run: Run) -> None:
    per_user: dict[str, int] = defaultdict(int)
    for span in _app_spans(run):
        per_user[span.attributes["user.id"]] += 1
    assert dict(per_user) == {"alice": 8 + 4, "bob": 4 + 4, "carol": 8 + 4}
    assert len(run.spans) == sum(CALLS_PER_ROUND[r[0]] for r in ROUNDS) + ledger_calls.FILLER_CALLS


def test_the_ledger_file_rotated_and_every_file_is_zstd(run: Run) -> None:
    files = sorted(p.name for p in run.ledger_dir.iterdir())
    assert "calls.zst" in files
    assert any(name.startswith("calls-") and name.endswith(".zst") for name in files), files
    for path in run.ledger_dir.iterdir():
        assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd", f"{path.name} is not a zstd file"


def test_one_row_per_call_none_lost_none_duplicated(run: Run) -> None:
    rows = _calls(run)
    ids = _ids(rows)
    assert len(ids) == len(set(ids)) == len(run.spans)
    assert set(ids) == {(s.trace_id, s.span_id) for s in run.spans}


def test_only_genai_spans_are_written(run: Run) -> None:
    spans_in_files = otlp_files.spans_relation(run.ledger_dir)
    spans = FileLedger(run.ledger_dir).rows(
        f"SELECT count() AS n, countIf(ScopeName != 'genai_cost') AS other FROM {spans_in_files}"
    )
    assert spans == [{"n": len(run.spans), "other": 0}]


def test_each_row_carries_its_span(run: Run) -> None:
    rows = {(r["trace_id"], r["span_id"]): r for r in _calls(run)}
    for span in _app_spans(run):
        row, a = rows[(span.trace_id, span.span_id)], span.attributes
        assert row["service"] == "ledger-app"
        assert row["provider"] == a[names.PROVIDER_NAME]
        assert row["request_model"] == a[names.REQUEST_MODEL]
        assert row["response_model"] == a.get(names.RESPONSE_MODEL, "")
        assert row["operation"] == a[names.OPERATION_NAME]
        assert int(row["input_tokens"]) == a.get(names.USAGE_INPUT_TOKENS, 0)
        assert int(row["output_tokens"]) == a.get(names.USAGE_OUTPUT_TOKENS, 0)
        assert int(row["cache_read_tokens"]) == a.get(names.USAGE_CACHE_READ_INPUT_TOKENS, 0)
        assert int(row["reasoning_tokens"]) == a.get(names.USAGE_REASONING_OUTPUT_TOKENS, 0)
        assert row["cost"] == pytest.approx(a.get(names.USAGE_COST, 0.0), rel=1e-12, abs=0)
        assert row["cache_savings"] == pytest.approx(a.get(names.CACHE_SAVINGS, 0.0), rel=1e-12, abs=0)
        assert row["unpriced_reason"] == a.get(names.UNPRICED_REASON, "")
        assert row["error_type"] == a.get(names.ERROR_TYPE, "")
        assert row["user"] == a["user.id"] and row["tenant"] == a["tenant.id"]
        assert row["conversation"] == a[names.CONVERSATION_ID]
        duration = (span.end_time_unix_nano - span.start_time_unix_nano) / 1e9
        assert row["duration_s"] == pytest.approx(duration, rel=1e-12)


@pytest.mark.parametrize(
    ("by", "attribute"), [("user", "user.id"), ("conversation", names.CONVERSATION_ID), ("tenant", "tenant.id")]
)
def test_totals_equal_the_span_sums(run: Run, by: str, attribute: str) -> None:
    ledger = FileLedger(run.ledger_dir)
    rows = ledger.rows(queries.totals_sql(ledger.calls, [by], queries.Filters()))
    truth = ledger_calls.truth(run.spans, lambda s: s.attributes.get(attribute, ""))
    ledger_calls.check_totals(rows, by, truth)


def test_filters_select_exactly_their_calls(run: Run) -> None:
    app = _app_spans(run)
    alice_1 = _calls(run, "--user", "alice", "--conversation", "conv-1")
    assert set(_ids(alice_1)) == {
        (s.trace_id, s.span_id) for s in app if s.attributes[names.CONVERSATION_ID] == "conv-1"
    }
    errors = _calls(run, "--errors")
    assert set(_ids(errors)) == {(s.trace_id, s.span_id) for s in run.spans if names.ERROR_TYPE in s.attributes}
    assert len(errors) == 6  # one 429 per SDK round
    globex = _calls(run, "--tenant", "globex", "--model", "gpt-4.1")
    assert [r["user"] for r in globex] == ["carol"]
    assert _calls(run, "--service", "ledger-filler", "--limit", "5") and len(
        _calls(run, "--service", "ledger-app")
    ) == len(app)


def test_time_range_selects_the_rounds_inside_it(run: Run) -> None:
    # From the start of the second round to the start of the third: bob's anthropic round only.
    start = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(run.round_started[1] / 1e9))
    start += f".{run.round_started[1] % 1_000_000_000:09d}"[:7]
    end = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(run.round_started[2] / 1e9))
    end += f".{run.round_started[2] % 1_000_000_000:09d}"[:7]
    rows = _calls(run, "--from", start, "--to", end)
    assert {(r["user"], r["conversation"], r["provider"]) for r in rows} == {("bob", "conv-2", "anthropic")}
    assert len(rows) == CALLS_PER_ROUND["anthropic"]


def test_csv_and_table_formats(run: Run) -> None:
    done = _cli("calls", "--ledger", str(run.ledger_dir), "--user", "bob", "--format", "csv")
    lines = done.stdout.splitlines()
    assert lines[0].split(",") == list(queries.LOG_COLUMNS) and len(lines) == 1 + 8
    table = _cli("calls", "--ledger", str(run.ledger_dir), "--user", "bob").stdout.splitlines()
    assert table[0].split()[0] == "time" and len(table) == 1 + 8


@pytest.fixture(scope="module")
def tables(run: Run) -> TablesLedger:
    """The exporter's own otel_traces DDL at v0.159.0, filled with the rows it writes for the same
    spans (those the filter processor keeps), typed by the ledger's materialized view."""
    tables = TablesLedger(clickhouse.traces_ddl(), session=FileLedger(run.ledger_dir).session)
    rows = [row for request in run.requests for row in clickhouse.rows_of(request)]
    clickhouse.insert(tables, [r for r in rows if names.OPERATION_NAME in r["SpanAttributes"]])
    return tables


def test_clickhouse_tables_give_the_same_answers(run: Run, tables: TablesLedger) -> None:
    """Every query answers on the ClickHouse exporter's tables as it does on the files."""
    files = FileLedger(run.ledger_dir, session=tables.session)
    for sql in (
        lambda calls: queries.calls_sql(calls, queries.Filters()),
        lambda calls: queries.calls_sql(calls, queries.Filters(user="carol", errors_only=True)),
        lambda calls: queries.totals_sql(calls, ["user"], queries.Filters()),
        lambda calls: queries.totals_sql(calls, ["conversation"], queries.Filters(), top=10),
        lambda calls: queries.totals_sql(calls, ["provider", "request_model"], queries.Filters(tenant="acme")),
    ):
        on_files, on_tables = files.rows(sql(files.calls)), tables.rows(sql(tables.calls))
        assert len(on_files) == len(on_tables) > 0
        for a, b in zip(on_files, on_tables, strict=True):
            assert a.keys() == b.keys()
            for key in a:
                if isinstance(a[key], float):
                    assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-15), key
                else:
                    assert a[key] == b[key], key


def _panel_sql(sql: str, user: str = "", conversation: str = "") -> str:
    """A panel's SQL as the ClickHouse plugin sends it: macros for the last two hours, variables set."""
    now = time.time()
    since, until = (f"toDateTime64({t:.3f}, 3, 'UTC')" for t in (now - 7200, now + 60))
    return (
        sql.replace("$__timeFilter(time)", f"time >= {since} AND time <= {until}")
        .replace("$__timeInterval(time)", "toStartOfInterval(time, INTERVAL 60 second)")
        .replace("${user:sqlstring}", f"'{user}'")
        .replace("${conversation:sqlstring}", f"'{conversation}'")
        .replace("${top}", "10")
    )


LEDGER_DASHBOARD = json.loads((REPO / "grafana/dashboards/ledger/genai-cost-ledger.json").read_text())
PANELS = {panel["title"]: panel["targets"][0]["rawSql"] for panel in LEDGER_DASHBOARD["panels"]}


@pytest.mark.parametrize("title", sorted(PANELS))
def test_every_ledger_panel_returns_rows(run: Run, tables: TablesLedger, title: str) -> None:
    everyone = tables.rows(_panel_sql(PANELS[title]))
    assert everyone, title
    alice = tables.rows(_panel_sql(PANELS[title], user="alice", conversation="conv-1"))
    assert alice and all(row.get("user", "alice") == "alice" for row in alice), title


def test_ledger_panels_show_the_span_figures(run: Run, tables: TablesLedger) -> None:
    [cost] = tables.rows(_panel_sql(PANELS["Cost"]))
    assert int(cost["calls"]) == len(run.spans)
    assert cost["cost_usd"] == pytest.approx(
        math.fsum(s.attributes.get(names.USAGE_COST, 0.0) for s in run.spans), rel=1e-9
    )
    calls = tables.rows(_panel_sql(PANELS["Calls"], user="alice"))
    assert len(calls) == sum(s.attributes.get("user.id") == "alice" for s in run.spans)
    slowest = tables.rows(_panel_sql(PANELS["Slowest calls"]))
    assert slowest[0]["duration_s"] == max((s.end_time_unix_nano - s.start_time_unix_nano) / 1e9 for s in run.spans)


def _report(run: Run, *args: str) -> dict[str, Any]:
    done = _cli(
        "report", "--source", "ledger", "--ledger", str(run.ledger_dir), "--last", "2h", "--format", "json", *args
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(("by", "attribute"), [("user", "user.id"), ("conversation", names.CONVERSATION_ID)])
def test_ledger_report_totals_equal_the_span_sums(run: Run, by: str, attribute: str) -> None:
    doc = _report(run, "--by", by)
    truth = ledger_calls.truth(run.spans, lambda s: s.attributes.get(attribute, ""))
    rows = [{**group, by: group["labels"][queries_label(by)]} for group in doc["groups"]]
    ledger_calls.check_totals(rows, by, truth)
    assert doc["total"]["calls"] == len(run.spans)
    assert doc["total"]["cost_usd"] == pytest.approx(math.fsum(t["cost_usd"] for t in truth.values()), rel=1e-9)
    # The days add up to the total.
    assert sum(day["calls"] for day in doc["daily"]) == len(run.spans)


def queries_label(by: str) -> str:
    """The label name `genai-cost report` gives a --by name (user -> user_id, as on Prometheus)."""
    from genai_cost.report import figures

    return figures.label_name(by)


def test_ledger_report_top_conversations_and_the_rest(run: Run) -> None:
    doc = _report(run, "--by", "conversation", "--top", "3")
    truth = ledger_calls.truth(run.spans, lambda s: s.attributes.get(names.CONVERSATION_ID, ""))
    ranked = sorted(truth.items(), key=lambda item: (-round(item[1]["cost_usd"], 12), item[0]))
    label = queries_label("conversation")
    assert [g["labels"][label] for g in doc["groups"]] == [key for key, _ in ranked[:3]]
    rest = math.fsum(t["cost_usd"] for _, t in ranked[3:])
    assert doc["others"]["cost_usd"] == pytest.approx(rest, rel=1e-9)
    assert doc["others"]["calls"] == sum(t["calls"] for _, t in ranked[3:])


def test_ledger_report_table_format(run: Run) -> None:
    done = _cli("report", "--source", "ledger", "--ledger", str(run.ledger_dir), "--last", "2h", "--by", "tenant")
    assert done.returncode == 0, done.stderr
    assert "acme" in done.stdout and "globex" in done.stdout
