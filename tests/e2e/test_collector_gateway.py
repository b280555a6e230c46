"""The two-tier variant, end to end: app --OTLP--> agent (collector/gateway/agent.yaml) --load
balancing--> gateway (collector/gateway/gateway.yaml) --remote write--> Prometheus, both
Collectors built from collector/manifest.yaml and running the shipped configs unchanged.

Prometheus stands in for the scalable store (Mimir accepts the same remote-write protocol):
Debian's Prometheus with --web.enable-remote-write-receiver. The series names must be the
contract's, as on the single-Collector path, and the cost it holds must equal the spans' cost
(the spans take the same two hops to an in-test OTLP receiver).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.test_zero_code import CONTRACT_SERIES, EXPECTED, EXPECTED_TOTAL_COST, PROVIDERS
from tests.helpers.collector import REPO, Collector
from tests.helpers.instrumented import base_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord
from tests.helpers.stack import PrometheusServer

AGENT = REPO / "collector" / "gateway" / "agent.yaml"
GATEWAY = REPO / "collector" / "gateway" / "gateway.yaml"
SERVICE = "gateway-app"
MODEL_LABELS = {"gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "gen_ai_operation_name"}


@dataclass
class Run:
    prometheus: PrometheusServer
    spans: list[SpanRecord]
    series: list[dict[str, str]]


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
    otlp_receiver: OtlpReceiver,
    sdk_env: dict[str, str],
    run_instrumented: Any,
) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("collector-gateway")
    with PrometheusServer(work / "store", {}, extra_args=["--web.enable-remote-write-receiver"]) as store:
        gateway = Collector(
            work / "gateway",
            GATEWAY,
            traces_endpoint=otlp_receiver.endpoint,
            extra_env={"REMOTE_WRITE_ENDPOINT": f"{store.url}/api/v1/write"},
        )
        with gateway:
            agent = Collector(
                work / "agent",
                AGENT,
                traces_endpoint="",
                # An IP literal resolves to itself: one gateway replica on loopback.
                extra_env={"GATEWAY_HOSTNAME": "127.0.0.1", "GATEWAY_OTLP_GRPC_PORT": str(gateway.otlp_grpc_port)},
            )
            with agent:
                env = base_env(
                    OTEL_SERVICE_NAME=SERVICE,
                    OTEL_TRACES_EXPORTER="otlp",
                    OTEL_METRICS_EXPORTER="otlp",
                    OTEL_LOGS_EXPORTER="none",
                    OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                    OTEL_EXPORTER_OTLP_ENDPOINT=agent.otlp_http_url,
                    OTEL_METRIC_EXPORT_INTERVAL="500",
                    OTEL_BSP_SCHEDULE_DELAY="100",
                    **sdk_env,
                )
                app = run_instrumented("genai_app.py", env)
                try:
                    app.wait_for_line(lambda line: line == "READY", timeout=60)
                    # Every call is done: any metric collection from now on carries the final values.
                    ready_at = time.time()
                    app.send_line("exit")  # the SDK pushes its last metrics and spans at shutdown
                    assert app.wait(timeout=15) == 0, app.diagnostics()
                finally:
                    app.kill()
                spans = otlp_receiver.wait_for_spans(
                    lambda found: sum(s.scope_name == "genai_cost" for s in found) >= len(EXPECTED), timeout=20
                )
                # Remote write keeps the data points' own timestamps: wait until every cost series'
                # newest sample was collected after the calls ended.
                store.wait_for(
                    "count(gen_ai_client_cost_usd_total)"
                    f" == count(timestamp(gen_ai_client_cost_usd_total) > {ready_at:.3f})",
                    timeout=30,
                )
                series = store.api("series", **{"match[]": '{__name__=~"gen_ai_.+"}'})
                ours = [s for s in spans if s.scope_name == "genai_cost"]
                yield Run(store, ours, series)


def test_gateway_spans_arrive_through_both_tiers(run: Run) -> None:
    assert sorted(s.attributes["gen_ai.request.model"] for s in run.spans) == sorted(e.model for e in EXPECTED)
    assert {s.resource.get("service.name") for s in run.spans} == {SERVICE}


def test_gateway_writes_the_contract_series(run: Run) -> None:
    assert {s["__name__"] for s in run.series} == CONTRACT_SERIES
    cost = [s for s in run.series if s["__name__"] == "gen_ai_client_cost_usd_total"]
    assert cost
    for labels in cost:
        assert MODEL_LABELS <= set(labels)
        assert labels["job"] == SERVICE
    assert {labels["gen_ai_provider_name"] for labels in cost} == PROVIDERS


def test_gateway_cost_in_the_store_equals_span_cost(run: Run) -> None:
    span_cost = sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in run.spans)
    assert span_cost == pytest.approx(EXPECTED_TOTAL_COST, rel=1e-9)
    (total,) = run.prometheus.query("sum(gen_ai_client_cost_usd_total)")
    assert float(total["value"][1]) == pytest.approx(span_cost, rel=1e-9)
    by_provider = run.prometheus.query("sum by (gen_ai_provider_name) (gen_ai_client_cost_usd_total)")
    for sample in by_provider:
        provider = sample["metric"]["gen_ai_provider_name"]
        spans = [s for s in run.spans if s.attributes["gen_ai.provider.name"] == provider]
        expected = sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in spans)
        assert float(sample["value"][1]) == pytest.approx(expected, rel=1e-9), provider
    (calls,) = run.prometheus.query("sum(gen_ai_client_operation_duration_seconds_count)")
    assert float(calls["value"][1]) == len(EXPECTED)
