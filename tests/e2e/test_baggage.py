"""Attribution end to end: a FastAPI service under `opentelemetry-instrument` (no OTel code) gets
HTTP requests carrying a W3C `baggage` header; the allow-listed entries reach genai-cost's span of
the openai call each request makes, and the cost and token counters on its Prometheus endpoint.
A real Prometheus scrapes that endpoint and joins `target_info` to filter by resource attributes.

Configuration under test: GENAI_COST_BAGGAGE_KEYS=tenant.id,user.id,feature;
GENAI_COST_METRIC_LABELS=tenant.id,feature (user.id stays on spans); GENAI_COST_LABEL_LIMIT=3.
Costs are by hand from gpt-4o-mini's price, $0.15 in / $0.60 out per million tokens.
"""

from __future__ import annotations

import json
import math
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers.instrumented import base_env, otel_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord
from tests.helpers.prom import Scrape, wait_for_scrape
from tests.helpers.stack import PrometheusServer

REL = 1e-9
SERVICE = "tenant-api"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def cost(prompt: int, completion: int) -> float:
    return (prompt * 0.15 + completion * 0.60) / 1_000_000


@dataclass(frozen=True)
class Request:
    path: str
    prompt: int
    completion: int
    baggage: str | None
    span: dict[str, str]  # attribution attributes the span must carry (and no others)
    labels: dict[str, str]  # attribution labels of its counters


REQUESTS = [
    Request("/answer", 1000, 100, "tenant.id=acme,user.id=u-1001,feature=search,session.id=zzz",
            {"tenant.id": "acme", "user.id": "u-1001", "feature": "search"},
            {"tenant_id": "acme", "feature": "search"}),
    Request("/answer", 2000, 200, "tenant.id=globex,user.id=u-2002,feature=search",
            {"tenant.id": "globex", "user.id": "u-2002", "feature": "search"},
            {"tenant_id": "globex", "feature": "search"}),
    # A sync endpoint in a worker thread; genai_cost.attributes(feature="report") overrides the baggage.
    Request("/report", 3000, 300, "tenant.id=acme,feature=search",
            {"tenant.id": "acme", "feature": "report"}, {"tenant_id": "acme", "feature": "report"}),
    # Percent-encoded baggage value, decoded by the propagator: the third distinct tenant.
    Request("/answer", 4000, 400, "tenant.id=acme%20corp;ttl=60,feature=search",
            {"tenant.id": "acme corp", "feature": "search"}, {"tenant_id": "acme corp", "feature": "search"}),
    # The fourth distinct tenant is past the cap: _other on metrics, the real value on the span.
    Request("/answer", 5000, 500, "tenant.id=initech,feature=search",
            {"tenant.id": "initech", "feature": "search"}, {"tenant_id": "_other", "feature": "search"}),
    Request("/answer", 600, 60, None, {}, {}),
]  # fmt: skip
ATTRIBUTION_KEYS = {"tenant.id", "user.id", "feature", "session.id"}


@dataclass
class Run:
    spans: list[SpanRecord]  # genai_cost spans in request order
    all_spans: list[SpanRecord]
    replies: list[dict[str, Any]]
    scrape: Scrape
    joined: list[dict[str, Any]]  # the target_info join, from a real Prometheus
    stderr: str


def _get(port: int, request: Request, traceparent: str | None) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{request.path}?prompt={request.prompt}&completion={request.completion}"
    headers = {}
    if request.baggage:
        headers["baggage"] = request.baggage
    if traceparent:
        headers["traceparent"] = traceparent
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=15) as reply:  # noqa: S310
        return json.loads(reply.read())


JOIN = (
    "sum by (service_name, deployment_environment_name, tenant_id) ("
    "  gen_ai_client_cost_usd_total"
    "  * on (job, instance) group_left (service_name, deployment_environment_name) target_info"
    ")"
)


@pytest.fixture(scope="module")
def run(
    otlp_receiver: OtlpReceiver,
    mock_openai: MockProvider,
    prometheus_port: int,
    run_instrumented: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Run:
    env = base_env(
        **otel_env(SERVICE, otlp_receiver.traces_url, prometheus_port),
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=staging",
        GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock_openai.port}=openai",
        GENAI_COST_BAGGAGE_KEYS="tenant.id,user.id,feature",
        GENAI_COST_METRIC_LABELS="tenant.id,feature",
        GENAI_COST_LABEL_LIMIT="3",
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=mock_openai.base_url,
    )
    app = run_instrumented("baggage_app.py", env)
    try:
        port = int(app.wait_for_line(lambda line: line.startswith("LISTENING "), timeout=30).split()[1])
        replies = [
            _get(port, request, f"00-{TRACE_ID}-00f067aa0ba902b7-01" if i == 0 else None)
            for i, request in enumerate(REQUESTS)
        ]
        all_spans = otlp_receiver.wait_for_spans(
            lambda spans: sum(s.scope_name == "genai_cost" for s in spans) >= len(REQUESTS), timeout=10
        )
        metrics_url = f"http://127.0.0.1:{prometheus_port}/metrics"
        scrape = wait_for_scrape(metrics_url, ["gen_ai_client_cost_usd_total"], timeout=10)
        workdir = Path(tmp_path_factory.mktemp("prometheus"))
        with PrometheusServer(workdir, scrape_targets={SERVICE: [f"127.0.0.1:{prometheus_port}"]}) as prometheus:
            prometheus.wait_for_target_up(SERVICE, timeout=30)
            joined = prometheus.wait_for(JOIN, timeout=15, min_results=5)
    finally:
        app.kill()
    ours = sorted((s for s in all_spans if s.scope_name == "genai_cost"), key=lambda s: s.start_time_unix_nano)
    return Run(ours, all_spans, replies, scrape, joined, app.stderr_text)


def test_requests_answered(run: Run) -> None:
    assert [r["prompt_tokens"] for r in run.replies] == [r.prompt for r in REQUESTS]
    assert "Traceback" not in run.stderr, run.stderr


@pytest.mark.parametrize("index", range(len(REQUESTS)))
def test_span_carries_the_allow_listed_baggage(run: Run, index: int) -> None:
    assert len(run.spans) == len(REQUESTS), [s.name for s in run.spans]
    span, request = run.spans[index], REQUESTS[index]
    assert {k: v for k, v in span.attributes.items() if k in ATTRIBUTION_KEYS} == request.span
    assert span.attributes["gen_ai.usage.input_tokens"] == request.prompt
    assert math.isclose(span.attributes["gen_ai.usage.cost"], cost(request.prompt, request.completion), rel_tol=REL)
    # The call belongs to the request's trace, under the server span of the FastAPI instrumentation.
    server = [s for s in run.all_spans if s.kind == "SERVER" and s.trace_id == span.trace_id]
    assert len(server) == 1 and server[0].resource["service.name"] == SERVICE


def test_incoming_trace_is_continued(run: Run) -> None:
    assert run.spans[0].trace_id == TRACE_ID


def test_counters_are_split_by_the_allow_listed_labels(run: Run) -> None:
    expected: dict[frozenset[tuple[str, str]], float] = {}
    for request in REQUESTS:
        key = frozenset(request.labels.items())
        expected[key] = expected.get(key, 0.0) + cost(request.prompt, request.completion)
    found = {
        frozenset((k, v) for k, v in s.labels.items() if k in ("tenant_id", "feature") and v): s.value
        for s in run.scrape.select("gen_ai_client_cost_usd_total")
    }
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        assert math.isclose(found[key], value, rel_tol=REL), key
    acme_input = run.scrape.value(
        "gen_ai_client_tokens_total", {"tenant_id": "acme", "feature": "search", "gen_ai_token_type": "input"}
    )
    assert acme_input == 1000


def test_label_names_are_prometheus_names_and_user_id_stays_off_metrics(run: Run) -> None:
    counters = ("gen_ai_client_cost_usd_total", "gen_ai_client_tokens_total", "gen_ai_client_cost_savings_usd_total")
    for series in counters:
        names = set().union(*run.scrape.label_names(series))
        assert {"tenant_id", "feature"} <= names
        assert not {"user_id", "user.id", "session_id"} & names
    for series in ("gen_ai_client_token_usage_count", "gen_ai_client_operation_duration_seconds_count"):
        assert not {"tenant_id", "feature"} & set().union(*run.scrape.label_names(series))
    assert "u-1001" not in run.scrape.text and "initech" not in run.scrape.text


def test_cap_is_counted_and_warned_once(run: Run) -> None:
    assert run.scrape.value("genai_cost_attribution_overflow_total", {"genai_cost_label": "tenant.id"}) == 1
    warnings = [line for line in run.stderr.splitlines() if "reached 3 distinct values" in line]
    assert len(warnings) == 1 and "'tenant_id'" in warnings[0], run.stderr


def test_resource_attributes_filter_through_the_target_info_join(run: Run) -> None:
    info = run.scrape.select("target_info")
    assert len(info) == 1
    assert info[0].labels["service_name"] == SERVICE
    assert info[0].labels["deployment_environment_name"] == "staging"
    by_tenant = {r["metric"].get("tenant_id", ""): float(r["value"][1]) for r in run.joined}
    assert {(r["metric"]["service_name"], r["metric"]["deployment_environment_name"]) for r in run.joined} == {
        (SERVICE, "staging")
    }
    assert by_tenant.keys() == {"acme", "globex", "acme corp", "_other", ""}
    assert math.isclose(by_tenant["acme"], cost(1000, 100) + cost(3000, 300), rel_tol=REL)
    assert math.isclose(by_tenant["_other"], cost(5000, 500), rel_tol=REL)
    assert math.isclose(sum(by_tenant.values()), sum(cost(r.prompt, r.completion) for r in REQUESTS), rel_tol=REL)
