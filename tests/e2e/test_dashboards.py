"""The Grafana dashboards: generated from grafana/generate.py, committed as JSON, readable by the
pinned grafana-foundation-sdk's dashboard model (Grafana 11.6, schemaVersion 41), and every panel
query of every dashboard returns series from a live Prometheus holding a real run's data.

The run: tests/e2e/apps/dashboard_app.py (genai_app.py's calls through the openai, anthropic and
google-genai SDKs, twice) under `opentelemetry-instrument` against four local mock providers
(openai, x_ai, anthropic, gemini); a real Prometheus scrapes the app's OTel Prometheus endpoint
every second and evaluates the shipped recording rules with a test budgets file. Template variables
are resolved the way Grafana does: their own label_values() queries run against the same
Prometheus, the chosen values must be among the options, multi-value selections become regex
alternations, the provider variable takes every provider's value at least once (the overview with
all four, the model drill-down with each), `All` becomes the variable's allValue, and
$__rate_interval / $__interval / $__range get values fit for a 1 s scrape interval.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from tests.e2e.test_zero_code import EXPECTED_TOTAL_COST, PROVIDERS
from tests.helpers.alerting import REPO, budgets_file, rule_files_for_test
from tests.helpers.instrumented import base_env, otel_env
from tests.helpers.otlp import OtlpReceiver
from tests.helpers.stack import PrometheusServer

GRAFANA = REPO / "grafana"
JOB = "e2e-dashboard-app"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_generate", GRAFANA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _generator()
COMMITTED = {path.name: json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _targets() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [
        (name, panel, target)
        for name, dashboard in COMMITTED.items()
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
    ]


TARGETS = _targets()


# --- generated, committed, loadable --------------------------------------------------------------
def test_committed_dashboards_are_the_generators_output() -> None:
    generated = {name: GENERATE.render(dashboard) for name, dashboard in GENERATE.dashboards()}
    assert sorted(generated) == sorted(COMMITTED) == ["genai-cost-model.json", "genai-cost-overview.json"]
    for name, text in generated.items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, f"{name}: run python grafana/generate.py"
    assert GENERATE.main(["--check"]) == 0


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_dashboard_json_round_trips_through_the_sdk_model(name: str) -> None:
    """Every key is one the pinned SDK's Grafana 11.6 dashboard model knows (unknown keys are
    dropped by its decoder, so they would show up as a difference)."""
    text = (GRAFANA / "dashboards" / name).read_text()
    model = DashboardModel.from_json(json.loads(text))
    assert JSONEncoder(sort_keys=True, indent=2).encode(model) + "\n" == text


def test_the_round_trip_catches_unknown_keys() -> None:
    broken = copy.deepcopy(COMMITTED["genai-cost-overview.json"])
    broken["panels"][1]["colour"] = "red"
    text = json.dumps(broken, sort_keys=True, indent=2)
    model = DashboardModel.from_json(broken)
    assert JSONEncoder(sort_keys=True, indent=2).encode(model) != text


@pytest.mark.parametrize("name", sorted(COMMITTED))
def test_dashboard_structure(name: str) -> None:
    dashboard = COMMITTED[name]
    assert dashboard["schemaVersion"] == 41
    assert len(dashboard["uid"]) <= 40 and dashboard["uid"] == name.removesuffix(".json")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert {"datasource", "service", "provider", "model"} <= set(variables)
    assert variables["datasource"]["query"] == "prometheus"
    panels = list(_panels(dashboard))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {(grid["x"] + dx, grid["y"] + dy) for dx in range(grid["w"]) for dy in range(grid["h"])}
        assert not mine & cells, f"{panel['title']} overlaps another panel"
        cells |= mine
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            used = set(re.findall(r"\$(\w+)", target["expr"])) - {"__rate_interval", "__interval", "__range"}
            assert used <= set(variables), (panel["title"], used)


def test_overview_has_the_panels_on_call_needs() -> None:
    titles = {p["title"] for p in _panels(COMMITTED["genai-cost-overview.json"])}
    assert {
        "Spend today (UTC)",
        "Month to date (UTC)",
        "Month-end forecast",
        "Monthly budgets: spent, forecast, budget",
        "Cost by model (USD/h)",
        "Cost by provider (USD/h)",
        "Cost by service (USD/h)",
        "Cache hit rate (cache_read / input tokens, last hour)",
        "Cache savings, last 24 h",
        "Tokens in the last hour, by type",
        "Calls per minute",
        "Latency p50 / p95",
        "Error rate",
        "Unpriced calls in the last hour",
        "Top spenders by $label, last 24 h",
    } <= titles


# --- every query against a live Prometheus with a real run's data ------------------------------------
@dataclass
class Live:
    prometheus: PrometheusServer
    start: float
    end: float


def _clear_of_a_tile_edge(seconds: float) -> None:
    """Wait, if need be, so that the next `seconds` hold no 5-minute edge. The calendar spends read
    the 5-minute tiles as the rule last recorded them, up to one evaluation before the edge: spend in
    that last second reaches them at the next edge, minutes later, beyond the waits below."""
    to_edge = 300 - time.time() % 300
    if to_edge < seconds:
        time.sleep(to_edge + 2)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
    otlp_receiver: OtlpReceiver,
    sdk_env: dict[str, str],
    prometheus_port: int,
    run_instrumented: Any,
) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("dashboards")
    budgets = budgets_file(
        workdir / "budgets.yml",
        [
            {"period": "daily", "usd": 1, "budget_scope": "global", "budget_key": "all"},
            {"period": "monthly", "usd": 20, "budget_scope": "global", "budget_key": "all"},
            {"period": "monthly", "usd": 5, "budget_scope": "service", "budget_key": JOB, "team": "search"},
        ],
    )
    env = base_env(**otel_env(JOB, otlp_receiver.traces_url, prometheus_port), **sdk_env)
    rule_files = [*rule_files_for_test(workdir / "rules"), budgets]
    with PrometheusServer(
        workdir / "prom", scrape_targets={JOB: [f"127.0.0.1:{prometheus_port}"]}, rule_files=rule_files
    ) as prometheus:
        _clear_of_a_tile_edge(40)  # the app's start and its first pass
        start = time.time()
        app = run_instrumented("dashboard_app.py", env)
        try:
            app.wait_for_line(lambda line: line == "READY", timeout=30)  # first pass done
            prometheus.wait_for(f'gen_ai_client_cost_usd_total{{job="{JOB}"}}', timeout=30)
            time.sleep(2)
            _clear_of_a_tile_edge(15)
            app.send_line("next")
            app.wait_for_line(lambda line: line == "READY", timeout=30)  # second pass done
            time.sleep(3)  # a few scrapes and rule evaluations of the second pass
            # Calendar periods are built from rules that read other rules: one evaluation later each.
            # Wait until every calendar spend has caught up with the counters (the second pass included).
            spent = f'(1 - 1e-9) * sum(gen_ai_client_cost_usd_total{{job="{JOB}"}})'
            for period in ("today", "increase1d", "month_to_date"):
                prometheus.wait_for(f"sum(genai_cost:cost_usd:{period}) >= {spent}", timeout=60)
            yield Live(prometheus, start, time.time())
        finally:
            app.send_line("exit")
            app.kill()


# Variable values present in the run, per dashboard: multi-value selections as Grafana sends
# them (a regex alternation), All as the variable's allValue. Each provider once on the model
# drill-down, with one of its models.
MODEL_PER_PROVIDER = {
    "openai": "gpt-4o-mini",
    "x_ai": "grok-4-1-fast-reasoning",
    "anthropic": "claude-sonnet-4-5",
    "gcp.gemini": "gemini-2.5-flash",
}
SELECTIONS = {
    "genai-cost-overview.json": [{"service": [JOB], "provider": sorted(PROVIDERS), "model": "All"}],
    "genai-cost-model.json": [
        {"service": [JOB], "provider": [provider], "model": [model]} for provider, model in MODEL_PER_PROVIDER.items()
    ],
}
INTERVALS = {"__rate_interval": "4s", "__interval": "1s", "__range": "10m"}


def _options(prom: PrometheusServer, variable: dict[str, Any], values: dict[str, str]) -> list[str]:
    match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
    assert match, variable["query"]
    # What Grafana's Prometheus data source asks for label_values(selector, label).
    return sorted(prom.api(f"label/{match.group(2)}/values", **{"match[]": _substitute(match.group(1), values)}))


def _substitute(expr: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("$" + name, values[name]).replace("${" + name + "}", values[name])
    return expr


def _variables(prom: PrometheusServer, name: str, selection: int = 0) -> dict[str, str]:
    """Resolve the dashboard's variables in order, checking each choice against its options."""
    values = dict(INTERVALS)
    for variable in COMMITTED[name]["templating"]["list"]:
        if variable["type"] != "query":
            continue
        choice = SELECTIONS[name][selection][variable["name"]]
        options = _options(prom, variable, values)
        if choice == "All":
            assert options, variable["name"]
            values[variable["name"]] = variable["allValue"]
        else:
            assert set(choice) <= set(options), (variable["name"], choice, options)
            values[variable["name"]] = choice[0] if len(choice) == 1 else "(" + "|".join(choice) + ")"
    return values


def _label_choices(name: str, target: dict[str, Any]) -> list[str]:
    if "$label" not in target["expr"]:
        return [""]
    (variable,) = [v for v in COMMITTED[name]["templating"]["list"] if v["name"] == "label"]
    return variable["query"].split(",")


def _selection_id(name: str, selection: int) -> str:
    if len(SELECTIONS[name]) == 1:
        return ""
    return ":" + SELECTIONS[name][selection]["provider"][0]


CASES = [
    pytest.param(
        name,
        panel["title"],
        target,
        label,
        selection,
        id=f"{name.removesuffix('.json')}:{panel['title']}:"
        f"{target['refId']}{':' + label if label else ''}{_selection_id(name, selection)}",
    )
    for name, panel, target in TARGETS
    for label in _label_choices(name, target)
    for selection in range(len(SELECTIONS[name]))
]


@pytest.mark.parametrize(("name", "title", "target", "label", "selection"), CASES)
def test_panel_query_returns_series(
    live: Live, name: str, title: str, target: dict[str, Any], label: str, selection: int
) -> None:
    values = _variables(live.prometheus, name, selection)
    if label:
        values["label"] = label
    expr = _substitute(target["expr"], values)
    assert "$" not in expr, expr
    if target.get("instant"):
        series = [(s["metric"], [s["value"]]) for s in live.prometheus.query(expr)]
    else:
        series = [(s["metric"], s["values"]) for s in live.prometheus.query_range(expr, live.start, live.end, "1s")]
    assert series, f"{title}: no series for {expr}"
    finite = [float(v) for _, points in series for _, v in points if math.isfinite(float(v))]
    assert finite, f"{title}: only NaN/Inf for {expr}: {series}"
    if "cost" in expr and "unpriced" not in expr and "rate(" not in expr and "failed_calls" not in expr:
        # A spend panel of this run: it spent money.
        assert max(finite) > 0, f"{title}: {series}"
    if "by (gen_ai_provider_name)" in expr or label == "gen_ai_provider_name":
        # A breakdown by provider shows every selected provider.
        assert {metric["gen_ai_provider_name"] for metric, _ in series} == set(
            SELECTIONS[name][selection]["provider"]
        ), title


# What genai_app.py's calls cost (tests/e2e/test_zero_code.py prices each by hand), run twice.
RUN_COST = 2 * EXPECTED_TOTAL_COST


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("genai-cost-overview.json", "Spend today (UTC)"),
        ("genai-cost-overview.json", "Last 24 hours"),
        ("genai-cost-overview.json", "Month to date (UTC)"),
    ],
)
def test_spend_panels_show_the_runs_cost(live: Live, name: str, title: str) -> None:
    """The run's cost to 1e-9, first samples included (every series is new to Prometheus)."""
    (panel,) = [p for p in _panels(COMMITTED[name]) if p["title"] == title]
    expr = _substitute(panel["targets"][0]["expr"], _variables(live.prometheus, name))
    (sample,) = live.prometheus.query(expr)
    assert float(sample["value"][1]) == pytest.approx(RUN_COST, rel=1e-9)


def test_every_panel_has_queries() -> None:
    for name, dashboard in COMMITTED.items():
        for panel in _panels(dashboard):
            assert panel["type"] == "row" or panel.get("targets"), (name, panel["title"])
    assert len(TARGETS) >= 30
