"""Both telemetry paths, end to end, on real processes: the same contract series and the same cost.

One run of tests/e2e/apps/genai_app.py (the real openai, anthropic and google-genai SDKs against
four local mock providers) under `opentelemetry-instrument`, with two metric exporters at once
(OTEL_METRICS_EXPORTER=otlp,prometheus):

- direct:    app /metrics (OTel's Prometheus exporter) <- scraped by Prometheus "direct";
- collector: app --OTLP/HTTP--> the Collector built from collector/manifest.yaml, running the
             shipped collector/otelcol.yaml unchanged <- its prometheus exporter scraped by
             Prometheus "collector" (honor_labels, as the shipped examples/prometheus.yml does);
             the Collector forwards the spans to an in-test OTLP receiver.

Everything below is read from the two Prometheus servers' HTTP APIs (not from the scrapes): the
series names, the label names per series, and the cost, which must equal the sum of the spans'
gen_ai.usage.cost (and the hand-computed total of test_zero_code) to 1e-9 relative.

Counters are read as raw values at one instant, never through increase()/rate(): a series'
first sample is its whole value here (the app's counters start at the first call), and increase()
ignores the first sample of a series (the "first-sample trap").

Labels that legitimately differ between the paths, and so are left out of the comparison:
- ``job``, ``instance``: scrape labels. Direct, they name the scrape job and target; through the
  Collector with honor_labels they come from the app's service.name and service.instance.id.
Nothing else may differ.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_zero_code import (
    CONTRACT_SERIES,
    EXPECTED,
    EXPECTED_TOTAL_COST,
    EXPECTED_TOTAL_SAVINGS,
    EXPECTED_UNPRICED,
    PROVIDERS,
)
from tests.helpers import free_port
from tests.helpers.collector import Collector
from tests.helpers.instrumented import base_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord
from tests.helpers.stack import PrometheusServer

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CONFIG = REPO / "collector" / "otelcol.yaml"
REL = 1e-9
SERVICE = "paths-app"
SCRAPE_LABELS = frozenset({"job", "instance"})
ENVIRONMENT = "staging"
# label -> span attribute
MODEL_ATTRIBUTES = {
    "gen_ai_provider_name": "gen_ai.provider.name",
    "gen_ai_request_model": "gen_ai.request.model",
    "gen_ai_response_model": "gen_ai.response.model",
    "gen_ai_operation_name": "gen_ai.operation.name",
}
MODEL_LABELS = tuple(MODEL_ATTRIBUTES)
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write", "reasoning")
USAGE_ATTRIBUTES = dict(
    zip(
        TOKEN_TYPES,
        (
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.reasoning.output_tokens",
        ),
        strict=True,
    )
)


@dataclass
class PathData:
    """What one Prometheus server holds, read at one evaluation time."""

    series: dict[str, set[frozenset[str]]]  # series name -> distinct label-name sets
    label_values: dict[str, set[str]]  # label name -> values seen on gen_ai_* series
    at: float
    prometheus: PrometheusServer

    def scalar(self, promql: str) -> float:
        result = self.prometheus.query(promql, at=self.at)
        assert len(result) == 1, f"{promql}: {result}"
        return float(result[0]["value"][1])

    def by_model(self, metric: str, extra: str = "") -> dict[tuple[str, ...], float]:
        labels = ", ".join(MODEL_LABELS + ((extra,) if extra else ()))
        result = self.prometheus.query(f"sum by ({labels}) ({metric})", at=self.at)
        keys = MODEL_LABELS + ((extra,) if extra else ())
        return {tuple(r["metric"].get(k, "") for k in keys): float(r["value"][1]) for r in result}


@dataclass
class Run:
    direct: PathData
    collector: PathData
    spans: list[SpanRecord]
    app_result: dict[str, Any]
    exit_code: int


def _read(prometheus: PrometheusServer, at: float) -> PathData:
    found = prometheus.api("series", **{"match[]": '{__name__=~"gen_ai_.+"}', "end": f"{at:.3f}"})
    series: dict[str, set[frozenset[str]]] = defaultdict(set)
    values: dict[str, set[str]] = defaultdict(set)
    for labels in found:
        name = labels.pop("__name__")
        series[name].add(frozenset(labels))
        for key, value in labels.items():
            values[key].add(value)
    return PathData(dict(series), dict(values), at, prometheus)


def _wait_for_final_scrape(prometheus: PrometheusServer, job: str, calls: int, timeout: float) -> float:
    """Wait until Prometheus holds all ``calls`` and has scraped once more after that; return a
    query time at which every series shows the app's final values."""
    prometheus.wait_for(f"sum(gen_ai_client_operation_duration_seconds_count) >= {calls}", timeout)
    seen = time.time()
    # One more scrape: every counter of the export that completed the calls is in, whatever the
    # order in which the exporter updated its families.
    prometheus.wait_for(f'timestamp(up{{job="{job}"}}) > {seen:.3f}', timeout=10)
    return time.time()


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
    otlp_receiver: OtlpReceiver,
    sdk_env: dict[str, str],
    run_instrumented: Any,
) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("collector-paths")
    app_metrics_port = free_port()
    with (
        Collector(work / "otelcol", SHIPPED_CONFIG, traces_endpoint=otlp_receiver.endpoint) as collector,
        PrometheusServer(work / "prom-direct", {"app": [f"127.0.0.1:{app_metrics_port}"]}) as direct,
        PrometheusServer(
            work / "prom-collector", {"otelcol": [collector.prometheus_target]}, honor_labels=True
        ) as via_collector,
    ):
        env = base_env(
            OTEL_SERVICE_NAME=SERVICE,
            OTEL_RESOURCE_ATTRIBUTES=f"deployment.environment.name={ENVIRONMENT}",
            OTEL_TRACES_EXPORTER="otlp",
            OTEL_METRICS_EXPORTER="otlp,prometheus",
            OTEL_LOGS_EXPORTER="none",
            OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.otlp_http_url,
            OTEL_METRIC_EXPORT_INTERVAL="500",
            OTEL_BSP_SCHEDULE_DELAY="100",
            OTEL_EXPORTER_PROMETHEUS_HOST="127.0.0.1",
            OTEL_EXPORTER_PROMETHEUS_PORT=str(app_metrics_port),
            **sdk_env,
        )
        app = run_instrumented("genai_app.py", env)
        try:
            result_line = app.wait_for_line(lambda line: line.startswith("RESULT "), timeout=60)
            app.wait_for_line(lambda line: line == "READY", timeout=5)
            # Prometheus 2.x discovers targets after ~5 s; the app stays up until both have its final values.
            direct_at = _wait_for_final_scrape(direct, "app", len(EXPECTED), timeout=30)
            collector_at = _wait_for_final_scrape(via_collector, "otelcol", len(EXPECTED), timeout=30)
            direct_data = _read(direct, direct_at)
            collector_data = _read(via_collector, collector_at)
            app.send_line("exit")
            exit_code = app.wait(timeout=15)
        finally:
            app.kill()
        # The app flushed its spans at exit; the Collector's exporter queue sends them within ~1 s.
        spans = otlp_receiver.wait_for_spans(
            lambda found: sum(s.scope_name == "genai_cost" for s in found) >= len(EXPECTED), timeout=15
        )
        assert collector.process is not None and collector.process.proc is not None
        assert collector.process.proc.poll() is None, collector.diagnostics()
        ours = sorted((s for s in spans if s.scope_name == "genai_cost"), key=lambda s: s.start_time_unix_nano)
        # The tests query both servers again: yield while they run.
        yield Run(direct_data, collector_data, ours, json.loads(result_line.removeprefix("RESULT ")), exit_code)


def _without_scrape_labels(series: dict[str, set[frozenset[str]]]) -> dict[str, set[frozenset[str]]]:
    return {name: {labels - SCRAPE_LABELS for labels in sets} for name, sets in series.items()}


def test_app_ran_and_spans_came_through_the_collector(run: Run) -> None:
    assert run.exit_code == 0
    assert [run.app_result[key] for key in ("error", "anthropic_error", "gemini_error")] == [
        ["RateLimitError", 429], ["RateLimitError", 429], ["ClientError", 429]
    ]  # fmt: skip
    assert len(run.spans) == len(EXPECTED)
    assert [(s.attributes["gen_ai.request.model"]) for s in run.spans] == [e.model for e in EXPECTED]
    assert {s.resource.get("service.name") for s in run.spans} == {SERVICE}


def test_both_paths_have_exactly_the_contract_series(run: Run) -> None:
    assert set(run.direct.series) == CONTRACT_SERIES
    assert set(run.collector.series) == CONTRACT_SERIES


def test_both_paths_have_the_same_label_names_per_series(run: Run) -> None:
    direct = _without_scrape_labels(run.direct.series)
    collector = _without_scrape_labels(run.collector.series)
    assert collector == direct
    # The labels the contract names are there (not merely equal on both sides).
    assert frozenset(MODEL_LABELS) | {"otel_scope_name", "otel_scope_version"} in direct["gen_ai_client_cost_usd_total"]
    assert any("gen_ai_token_type" in labels for labels in direct["gen_ai_client_tokens_total"])
    assert any("genai_cost_unpriced_reason" in labels for labels in direct["gen_ai_client_unpriced_total"])


def test_both_paths_have_the_same_label_values(run: Run) -> None:
    def contract_values(data: PathData) -> dict[str, set[str]]:
        return {k: v for k, v in data.label_values.items() if k not in SCRAPE_LABELS | {"le"}}

    assert contract_values(run.collector) == contract_values(run.direct)
    assert run.direct.label_values["gen_ai_provider_name"] == PROVIDERS
    assert run.direct.label_values["gen_ai_operation_name"] == {"chat", "embeddings", "generate_content"}
    assert run.direct.label_values["gen_ai_token_type"] == set(TOKEN_TYPES)
    # Bucket bounds are the same numbers, spelled differently: the Collector's OpenMetrics
    # exposition writes canonical floats (le="1.0", "1.048576e+06"), OTel's Python exporter
    # le="1", "1048576". Prometheus 2.x stores either spelling as is (3.x normalises both), so
    # queries should use histogram_quantile() rather than match le="..." literally.
    collector_bounds = {float(v) for v in run.collector.label_values["le"]}
    direct_bounds = {float(v) for v in run.direct.label_values["le"]}
    assert collector_bounds == direct_bounds
    assert len(direct_bounds) == 29  # 14 token-usage bounds + 14 duration bounds + Inf, all distinct


def test_scrape_labels_name_the_app_through_the_collector(run: Run) -> None:
    # honor_labels: job is the app's service.name, not the Collector's scrape job.
    assert run.collector.label_values["job"] == {SERVICE}
    assert run.direct.label_values["job"] == {"app"}


@pytest.mark.parametrize("path", ["direct", "collector"])
def test_resource_attributes_filter_cost_through_target_info(run: Run, path: str) -> None:
    """Dashboards filter by environment on both paths with the same join on target_info (docs/attribution.md,
    "Filtering by service and environment"): our counters carry no resource attributes. The service
    is target_info's service_name directly; through the Collector it is the job label itself."""
    data: PathData = getattr(run, path)
    joined = (
        "sum by (deployment_environment_name) (gen_ai_client_cost_usd_total"
        " * on (job, instance) group_left (deployment_environment_name) target_info)"
    )
    result = data.prometheus.query(joined, at=data.at)
    assert [r["metric"] for r in result] == [{"deployment_environment_name": ENVIRONMENT}]
    assert float(result[0]["value"][1]) == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)
    staging = f'target_info{{deployment_environment_name="{ENVIRONMENT}"}}'
    filtered = f"gen_ai_client_cost_usd_total * on (job, instance) group_left {staging}"
    assert data.scalar(f"sum({filtered})") == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)
    service = (
        f'sum(gen_ai_client_cost_usd_total * on (job, instance) group_left target_info{{service_name="{SERVICE}"}})'
        if path == "direct"
        else f'sum(gen_ai_client_cost_usd_total{{job="{SERVICE}"}})'
    )
    assert data.scalar(service) == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)


@pytest.mark.parametrize("path", ["direct", "collector"])
def test_prometheus_cost_equals_sum_of_span_costs(run: Run, path: str) -> None:
    data: PathData = getattr(run, path)
    span_cost = sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in run.spans)
    span_savings = sum(s.attributes.get("genai_cost.cost.cache_savings", 0.0) for s in run.spans)
    assert span_cost == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)
    assert data.scalar("sum(gen_ai_client_cost_usd_total)") == pytest.approx(span_cost, rel=REL)
    assert data.scalar("sum(gen_ai_client_cost_savings_usd_total)") == pytest.approx(span_savings, rel=REL)
    assert span_savings == pytest.approx(EXPECTED_TOTAL_SAVINGS, rel=REL)


@pytest.mark.parametrize("path", ["direct", "collector"])
def test_prometheus_cost_and_tokens_per_model_equal_the_spans(run: Run, path: str) -> None:
    data: PathData = getattr(run, path)
    spans_by_key: dict[tuple[str, ...], list[SpanRecord]] = defaultdict(list)
    for span in run.spans:
        if span.status_code != "ERROR":
            key = tuple(str(span.attributes.get(attribute, "")) for attribute in MODEL_ATTRIBUTES.values())
            spans_by_key[key].append(span)
    priced = {k: v for k, v in spans_by_key.items() if any("gen_ai.usage.cost" in s.attributes for s in v)}

    cost = data.by_model("gen_ai_client_cost_usd_total")
    assert set(cost) == set(priced)  # the unpriced model has no cost series, not a $0 one
    for key, spans in priced.items():
        assert cost[key] == pytest.approx(sum(s.attributes["gen_ai.usage.cost"] for s in spans), rel=REL), key

    tokens = data.by_model("gen_ai_client_tokens_total", extra="gen_ai_token_type")
    for key, spans in priced.items():
        for token_type, attribute in USAGE_ATTRIBUTES.items():
            assert tokens[(*key, token_type)] == sum(s.attributes[attribute] for s in spans), (key, token_type)

    unpriced = data.by_model("gen_ai_client_unpriced_total", extra="genai_cost_unpriced_reason")
    assert {(provider, request_model, reason) for provider, request_model, _, _, reason in unpriced} == {
        (provider, model, "unknown_model") for provider, model in EXPECTED_UNPRICED
    }
    assert set(unpriced.values()) == {1.0}


def _provider_series(data: PathData, provider: str) -> set[tuple[str, frozenset[str]]]:
    """(series name, label names without scrape labels) of one provider's gen_ai_* series."""
    selector = f'{{__name__=~"gen_ai_.+", gen_ai_provider_name="{provider}"}}'
    found = data.prometheus.api("series", **{"match[]": selector, "end": f"{data.at:.3f}"})
    return {(labels.pop("__name__"), frozenset(labels) - SCRAPE_LABELS) for labels in found}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_each_provider_has_the_same_series_on_both_paths(run: Run, provider: str) -> None:
    direct = _provider_series(run.direct, provider)
    assert _provider_series(run.collector, provider) == direct
    unpriced = {"gen_ai_client_unpriced_total"} if provider in {p for p, _ in EXPECTED_UNPRICED} else set()
    assert {name for name, _ in direct} == (CONTRACT_SERIES - {"gen_ai_client_unpriced_total"}) | unpriced


@pytest.mark.parametrize("path", ["direct", "collector"])
def test_prometheus_cost_per_provider_equals_its_spans(run: Run, path: str) -> None:
    data: PathData = getattr(run, path)
    cost = data.prometheus.query("sum by (gen_ai_provider_name) (gen_ai_client_cost_usd_total)", at=data.at)
    by_provider = {r["metric"]["gen_ai_provider_name"]: float(r["value"][1]) for r in cost}
    assert set(by_provider) == PROVIDERS
    for provider, value in by_provider.items():
        spans = [s for s in run.spans if s.attributes["gen_ai.provider.name"] == provider]
        assert value == pytest.approx(sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in spans), rel=REL), provider


@pytest.mark.parametrize("path", ["direct", "collector"])
def test_histograms_count_every_call(run: Run, path: str) -> None:
    data: PathData = getattr(run, path)
    assert data.scalar("sum(gen_ai_client_operation_duration_seconds_count)") == len(EXPECTED)
    assert data.scalar('sum(gen_ai_client_operation_duration_seconds_count{error_type="429"})') == 3
    answered = [s for s in run.spans if s.status_code != "ERROR"]
    assert data.scalar('sum(gen_ai_client_token_usage_sum{gen_ai_token_type="input"})') == sum(
        s.attributes["gen_ai.usage.input_tokens"] for s in answered
    )
    assert data.scalar('sum(gen_ai_client_token_usage_count{gen_ai_token_type="output"})') == len(answered)
