"""The guard: keys over budget from this process's spend and the fleet's, checks, refusals, rollover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.trace import INVALID_SPAN

from genai_cost.budgets import BudgetExceeded, Guard
from genai_cost.budgets.file import parse
from genai_cost.budgets.fleet import Query, spend_query
from genai_cost.budgets.groups import prometheus_labels
from genai_cost.call import Call
from genai_cost.endpoints import endpoint_for

REPO = Path(__file__).resolve().parents[2]
BUDGETS = """\
budgets:
  - {scope: user.id, key: "*", period: monthly, limit_usd: 5, action: block}
  - {scope: user.id, key: vip, period: monthly, limit_usd: 50, action: block}
  - {scope: model, key: gpt-4.1, period: daily, limit_usd: 3, action: warn}
"""
ENDPOINT = endpoint_for("https://api.openai.com/v1")


def call(user: str | None, model: str = "gpt-4o-mini") -> Call:
    attribution = {"user.id": user} if user else None
    return Call(None, INVALID_SPAN, "chat", ENDPOINT, model, (), False, attribution)  # type: ignore[arg-type]


@pytest.fixture
def guard() -> Any:
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    yield Guard(parse(BUDGETS, "b.yaml"), provider.get_meter("test"), "checkout", ("user.id",), "http://prom:9090")
    provider.shutdown()


def refusal(guard: Guard, c: Call) -> BudgetExceeded | None:
    try:
        guard.check(c)
    except BudgetExceeded as error:
        return error
    return None


def test_a_key_is_refused_once_its_spend_reaches_its_limit(guard: Guard) -> None:
    guard.record(call("alice"), 4.99)
    assert refusal(guard, call("alice")) is None
    guard.record(call("alice"), 0.01)
    refused = refusal(guard, call("alice"))
    assert refused is not None
    assert (refused.scope, refused.key, refused.period, refused.limit_usd) == ("user.id", "alice", "monthly", 5.0)
    assert refused.spend_usd == pytest.approx(5.0, rel=1e-12)
    assert refusal(guard, call("bob")) is None and refusal(guard, call(None)) is None


def test_a_key_of_its_own_overrides_the_wildcard(guard: Guard) -> None:
    guard.record(call("vip"), 10.0)
    assert refusal(guard, call("vip")) is None
    guard.record(call("vip"), 40.0)
    assert refusal(guard, call("vip")) is not None


def test_fleet_spend_plus_this_process_since_the_read(guard: Guard) -> None:
    users = next(group for group in guard.groups if group.scope == "user.id")
    guard.record(call("alice"), 1.0)
    now = time.time()
    guard.fleet_read({g.query: {} for g in guard.groups if g.query}, now)  # not scraped yet
    assert users.spend("alice", now) == 1.0  # never less than this process's own
    guard.fleet_read({users.query: {"alice": 4.5}, **{g.query: {} for g in guard.groups if g is not users}}, now)
    assert refusal(guard, call("alice")) is None
    guard.record(call("alice"), 0.5)  # 4.5 read + 0.5 since
    assert refusal(guard, call("alice")) is not None


def test_a_read_that_lags_this_processs_spend_keeps_it(guard: Guard) -> None:
    users = next(group for group in guard.groups if group.scope == "user.id")
    now = time.time()
    users.fleet_read({"alice": 2.0}, now)
    guard.record(call("alice"), 3.0)  # 2.0 read + 3.0 since: at the $5 limit
    assert refusal(guard, call("alice")) is not None
    users.fleet_read({"alice": 3.5}, now + 1)  # Prometheus has scraped only part of the 3.0 so far
    assert users.spend("alice", now + 1) == pytest.approx(5.0, rel=1e-12)
    assert refusal(guard, call("alice")) is not None
    users.fleet_read({"alice": 6.0}, now + 2)  # caught up, and others spent 1.0 more
    assert users.spend("alice", now + 2) == 6.0


def test_a_daily_read_keeps_only_the_last_minutes_of_this_processs_spend(guard: Guard) -> None:
    models = next(group for group in guard.groups if group.scope == "model")
    start = 1_796_000_000.0
    models.fleet_read({"gpt-4.1": 2.0}, start)  # other processes' spend
    models.add("gpt-4.1", 0.5, start + 3600)
    models.fleet_read({"gpt-4.1": 1.0}, start + 3601)  # the fleet's 24 h lost 1.5; 0.5 is not scraped yet
    assert models.spend("gpt-4.1", start + 3601) == pytest.approx(1.5, rel=1e-12)
    models.fleet_read({"gpt-4.1": 1.0}, start + 4800)  # 20 minutes on: that 0.5 was scraped long since
    assert models.spend("gpt-4.1", start + 4800) == 1.0


def test_last_months_fleet_figures_are_dropped(guard: Guard) -> None:
    users = next(group for group in guard.groups if group.scope == "user.id")
    november = 1_796_000_000.0  # 2026-11-29 UTC
    users.fleet_read({"alice": 9.0}, november)
    assert users.spend("alice", november) == 9.0
    assert users.spend("alice", november + 3 * 86_400) == 0.0  # December


def test_warn_budgets_never_refuse(guard: Guard) -> None:
    guard.record(call(None, "gpt-4.1"), 3.0)
    assert refusal(guard, call(None, "gpt-4.1")) is None


def test_fail_closed_refuses_block_budgets_while_unreadable() -> None:
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    guard = Guard(parse(BUDGETS, "b.yaml"), provider.get_meter("t"), "s", ("user.id",), "http://p", fail_closed=True)
    guard.fleet_unreadable(OSError("refused"))
    refused = refusal(guard, call("alice"))
    assert refused is not None and refused.spend_unknown
    assert refusal(guard, call(None)) is None  # no budget applies to a call without a user
    guard.fleet_read({g.query: {} for g in guard.groups if g.query}, time.time())
    assert refusal(guard, call("alice")) is None
    provider.shutdown()


def test_scopes_map_to_prometheus_labels() -> None:
    assert prometheus_labels("global", ()) == ()
    assert prometheus_labels("service", ()) == ("service_name", "job")
    assert prometheus_labels("model", ()) == ("gen_ai_request_model",)
    assert prometheus_labels("tenant.id", ("tenant.id",)) == ("tenant_id",)
    assert prometheus_labels("tenant.id", ()) is None  # not a metric label: this process's spend only
    query = Query(("service_name", "job"), "daily", lambda now: 86_400)
    assert query.key_of({"job": "checkout"}) == "checkout"
    assert query.key_of({"job": "fleet", "service_name": "checkout"}) == "checkout"


def test_the_spend_query_is_exact_where_promql_allows() -> None:
    x = "gen_ai_client_cost_usd_total"
    assert spend_query(("tenant_id",), 3600) == (
        f"sum by (tenant_id) (((last_over_time({x}[3600s]) - {x} offset 3600s) and (resets({x}[3600s]) == 0))"
        f" or ((last_over_time({x}[3600s]) unless {x} offset 3600s) and (resets({x}[3600s]) == 0))"
        f" or increase({x}[3600s]))"
    )
    assert spend_query((), 60).startswith("sum (")


def test_the_check_costs_under_2_us_with_three_budgets() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "budget_guard.py"), "--calls", "20000", "--check"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| check, 1,000 other users over theirs |" in done.stdout


class _Prometheus(BaseHTTPRequestHandler):
    """Prometheus' query API answering every spend query with $1.50 (the network peer)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        series = {"metric": {"user_id": "alice", "gen_ai_request_model": "gpt-4.1"}, "value": [time.time(), "1.5"]}
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [series]}})
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_a_forked_child_reads_the_fleet_again_and_is_not_locked_out() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Prometheus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    url = f"http://127.0.0.1:{server.server_address[1]}"
    guard = Guard(parse(BUDGETS, "b.yaml"), provider.get_meter("t"), "s", ("user.id",), url, refresh=0.1).start()
    users = next(group for group in guard.groups if group.scope == "user.id")
    deadline = time.monotonic() + 10
    while users.fleet is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert users.fleet == {"alice": 1.5}
    read, write = os.pipe()
    with guard._lock:  # held by another thread at the moment of the fork
        pid = os.fork()
    if pid == 0:  # the child: its own reader fills the figures again; a call's record takes the lock
        signal.alarm(10)  # a child locked out is killed, and says nothing
        try:
            users.fleet = None
            guard.record(call("alice"), 0.25)
            until = time.monotonic() + 10
            while users.fleet is None and time.monotonic() < until:
                time.sleep(0.05)
            os.write(write, f"{users.fleet}|{users.spend('alice', time.time())}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        said = answer.read()
    os.waitpid(pid, 0)
    assert said == "{'alice': 1.5}|1.5"  # read again in the child, which spent 0.25 before that read
    guard.reader.stop()
    server.shutdown()
    provider.shutdown()


GUARD_LOADED = """
import sys
from genai_cost.handler import Telemetry
telemetry = Telemetry()
telemetry.settings  # what a process's first call reads
print(telemetry.guard is not None, "genai_cost.budgets.guard" in sys.modules)
"""


@pytest.mark.parametrize(("budgets_file", "expected"), [(False, "False False"), (True, "True True")])
def test_the_guard_loads_only_with_a_budgets_file(tmp_path: Path, budgets_file: bool, expected: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GENAI_COST_")}
    if budgets_file:
        (tmp_path / "budgets.yaml").write_text(BUDGETS, encoding="utf-8")
        env["GENAI_COST_BUDGETS_FILE"] = str(tmp_path / "budgets.yaml")
    env["PYTHONPATH"] = f"{REPO / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    done = subprocess.run([sys.executable, "-c", GUARD_LOADED], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[-2] == expected
