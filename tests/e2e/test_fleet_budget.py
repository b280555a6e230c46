"""Three app processes under `opentelemetry-instrument` share one fleet budget through a real Prometheus.

Each app (tests/e2e/apps/fleet_budget_app.py) exports its counters on its own Prometheus endpoint,
Prometheus scrapes the three every second, and each app's guard reads the fleet's spend from
Prometheus every second (GENAI_COST_BUDGETS_REFRESH=1). Budgets: global monthly $10 (block) and
global daily $4 (warn). Every call is gpt-4.1 with forced usage, $2.00 per million input tokens:
500,000 tokens cost $1.00, 5,000 tokens $0.01.

1. each app spends $2: the fleet has spent $6, no app has spent $4 of its own;
2. app A spends $4 more: it blocks its own next call (its own spend since the last read counts);
3. apps B and C block within one refresh plus one scrape of that, having spent only $0.01 a call;
4. after the block the mock provider receives no request from any app.

A fourth app reads a Prometheus that is down: its calls proceed, its gauge says so, one log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers import free_port
from tests.helpers.instrumented import base_env
from tests.helpers.process import AppProcess
from tests.helpers.prom import Scrape, scrape
from tests.helpers.stack import PrometheusServer

BUDGETS = """\
budgets:
  - scope: global
    period: monthly
    limit_usd: 10
    action: block
  - scope: global
    period: daily
    limit_usd: 4
    action: warn
"""
DOLLAR, CENT = 500_000, 5_000  # input tokens of gpt-4.1 that cost $1.00 and $0.01
REFRESH, SCRAPE = 1.0, 1.0
# One refresh plus one scrape, plus what a loaded 2-core machine adds (process wake-ups, the query).
BLOCK_WITHIN = REFRESH + SCRAPE + 2.0
WARN_LINE = "budget global daily $4.00 (warn) reached"
DOWN_LINE = "cannot read the fleet's spend"


@dataclass
class Fleet:
    apps: dict[str, AppProcess]
    ports: dict[str, int]
    mock: MockProvider
    blocked_after: dict[str, float] = field(default_factory=dict)  # seconds from A's over-limit call
    cent_calls: dict[str, int] = field(default_factory=dict)  # calls B and C made before blocking
    requests_after_block: int = -1
    requests_at_block: int = -1
    refusals: dict[str, list[str]] = field(default_factory=dict)
    scrapes: dict[str, Scrape] = field(default_factory=dict)
    down_results: list[str] = field(default_factory=list)


def call(app: AppProcess, tokens: int) -> str:
    app.send_line(f"call {tokens}")
    return app.wait_for_line(lambda line: line.startswith(("OK", "BLOCKED")), timeout=15)


def app_env(mock: MockProvider, budgets: Path, port: int, prometheus_url: str, name: str) -> dict[str, str]:
    return base_env(
        OTEL_SERVICE_NAME=name,
        OTEL_TRACES_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_METRICS_EXPORTER="prometheus",
        OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1",
        OTEL_EXPORTER_PROMETHEUS_PORT=str(port),
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=mock.base_url,
        GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock.port}=openai",
        GENAI_COST_BUDGETS_FILE=str(budgets),
        GENAI_COST_BUDGETS_PROMETHEUS_URL=prometheus_url,
        GENAI_COST_BUDGETS_REFRESH=str(int(REFRESH)),
    )


def wait_blocked(
    apps: Mapping[str, AppProcess], since: float, deadline: float
) -> tuple[dict[str, float], dict[str, int]]:
    """Poll each app with $0.01 calls until it refuses one: seconds from `since`, calls made."""
    blocked: dict[str, float] = {}
    calls = dict.fromkeys(apps, 0)
    while len(blocked) < len(apps) and time.monotonic() < deadline:
        for name, app in apps.items():
            if name not in blocked:
                calls[name] += 1
                if call(app, CENT).startswith("BLOCKED"):
                    blocked[name] = time.monotonic() - since
        time.sleep(0.1)
    return blocked, calls


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, run_instrumented: Callable[..., AppProcess]) -> Iterator[Fleet]:
    workdir = tmp_path_factory.mktemp("fleet")
    budgets = workdir / "budgets.yaml"
    budgets.write_text(BUDGETS, encoding="utf-8")
    ports = {name: free_port() for name in ("a", "b", "c", "down")}
    with MockProvider(flavor="openai") as mock:
        targets = [f"127.0.0.1:{ports[name]}" for name in ("a", "b", "c")]
        with PrometheusServer(workdir / "prometheus", {"fleet": targets}, interval=f"{int(SCRAPE)}s") as prom:
            apps = {
                name: run_instrumented("fleet_budget_app.py", app_env(mock, budgets, ports[name], prom.url, name))
                for name in ("a", "b", "c")
            }
            dead = f"http://127.0.0.1:{free_port()}"
            apps["down"] = run_instrumented("fleet_budget_app.py", app_env(mock, budgets, ports["down"], dead, "down"))
            for app in apps.values():
                app.wait_for_line(lambda line: line == "READY", timeout=60)
            result = Fleet(apps, ports, mock)
            run_scenario(result, prom)
            yield result
        for app in apps.values():
            app.send_line("exit")
            app.wait(timeout=15)


def run_scenario(fleet: Fleet, prom: PrometheusServer) -> None:
    a, b, c, down = (fleet.apps[name] for name in ("a", "b", "c", "down"))
    # 1. $2 each: $6 in the fleet, under every app's own $4.
    for app in (a, b, c, a, b, c):
        assert call(app, DOLLAR) == "OK", app.diagnostics()
    fleet.down_results = [call(down, DOLLAR), call(down, DOLLAR)]
    prom.wait_for_target_up("fleet", timeout=30)
    prom.wait_for("sum(gen_ai_client_cost_usd_total) >= 6", timeout=30)
    time.sleep(REFRESH + 0.5)  # every app has read the fleet's $6 since
    # 2. A alone spends $4 more: the fleet reaches $10; A refuses its next call at once.
    for _ in range(4):
        assert call(a, DOLLAR) == "OK", a.diagnostics()
    reached = time.monotonic()
    fleet.refusals["a"] = [call(a, CENT)]
    # 3. B and C have spent $2 each: only the fleet's figure can block them.
    fleet.blocked_after, fleet.cent_calls = wait_blocked({"b": b, "c": c}, reached, reached + 3 * BLOCK_WITHIN)
    # 4. Nothing reaches the provider from now on.
    fleet.requests_at_block = len(fleet.mock.requests)
    for name in ("a", "b", "c"):
        fleet.refusals.setdefault(name, []).extend(call(fleet.apps[name], DOLLAR) for _ in range(3))
    fleet.requests_after_block = len(fleet.mock.requests)
    for name, port in fleet.ports.items():
        fleet.scrapes[name] = scrape(f"http://127.0.0.1:{port}/metrics")


def test_the_app_over_the_limit_blocks_its_own_next_call(fleet: Fleet) -> None:
    refusal = fleet.refusals["a"][0].split()
    assert refusal[:2] == ["BLOCKED", "global"], fleet.apps["a"].diagnostics()
    assert float(refusal[2]) >= 10.0 and float(refusal[3]) == 10.0


def test_every_app_blocks_within_one_refresh_plus_one_scrape(fleet: Fleet) -> None:
    assert set(fleet.blocked_after) == {"b", "c"}, (fleet.blocked_after, fleet.cent_calls)
    for name, seconds in fleet.blocked_after.items():
        assert seconds <= BLOCK_WITHIN, f"{name} blocked {seconds:.2f}s after the fleet passed its limit"
        # Blocked by the fleet's spend: what the app spent itself ($2 + $0.01 a call) is far from $10.
        assert fleet.cent_calls[name] < 100


def test_the_provider_receives_no_request_after_the_block(fleet: Fleet) -> None:
    assert fleet.requests_after_block == fleet.requests_at_block
    for name in ("a", "b", "c"):
        assert all(line.startswith("BLOCKED global") for line in fleet.refusals[name]), fleet.refusals[name]


def test_blocked_and_warned_calls_are_counted_by_scope_and_action(fleet: Fleet) -> None:
    for name in ("a", "b", "c"):
        found = fleet.scrapes[name]
        blocked = found.value("genai_cost_budget_exceeded_total", {"scope": "global", "action": "block"})
        assert blocked == len(fleet.refusals[name]) + (1 if name != "a" else 0)
        assert found.value("genai_cost_budget_exceeded_total", {"scope": "global", "action": "warn"}) >= 1
        assert found.value("genai_cost_budget_prometheus_up", {}) == 1


def test_warn_logs_once_per_process(fleet: Fleet) -> None:
    for name in ("a", "b", "c"):
        lines = [line for line in fleet.apps[name].stderr_text.splitlines() if WARN_LINE in line]
        assert len(lines) == 1, fleet.apps[name].stderr_text


def test_prometheus_down_calls_proceed_and_the_gauge_says_so(fleet: Fleet) -> None:
    assert fleet.down_results == ["OK", "OK"]
    assert fleet.scrapes["down"].value("genai_cost_budget_prometheus_up", {}) == 0
    stderr = fleet.apps["down"].stderr_text
    assert stderr.count(DOWN_LINE) == 1, stderr
    assert "fail-open" in stderr
