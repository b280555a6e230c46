"""Attribution through the real openai SDK over HTTP to the mock provider, under the real
instrumentation and a real OTel SDK pipeline: span attributes, counter labels, the cap.

Prices (genai-prices 0.2.3): gpt-4o-mini $0.15 in / $0.075 cached / $0.60 out per million tokens.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import openai
import pytest
from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

import genai_cost
from genai_cost import endpoints, names
from genai_cost.handler import Telemetry
from genai_cost.mockprovider import MockProvider
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage
from tests.conftest import Pipeline, env_map, set_env

M = 1_000_000
USER = [{"role": "user", "content": "What is 10 + 5?"}]
MODEL_LABELS = {names.OPERATION_NAME, names.PROVIDER_NAME, names.REQUEST_MODEL, names.RESPONSE_MODEL}


def cost(prompt: int, completion: int) -> float:
    return (prompt * 0.15 + completion * 0.60) / M


def forced(prompt: int, completion: int) -> dict[str, Any]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {"mock": {"usage": usage}}


def series(pipeline: Pipeline, name: str) -> dict[frozenset[tuple[str, Any]], Any]:
    """{frozenset(labels): value} of one metric."""
    return {frozenset(attrs.items()): value for attrs, value in pipeline.metrics().get(name, [])}


def attribution_of(labels: frozenset[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in labels if k not in MODEL_LABELS and k != names.TOKEN_TYPE}


def cost_by_attribution(pipeline: Pipeline) -> dict[frozenset[tuple[str, Any]], float]:
    return {frozenset(attribution_of(k).items()): v for k, v in series(pipeline, names.METRIC_COST).items()}


@pytest.fixture
def env(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch) -> Any:
    def configure(**values: str) -> None:
        set_env(monkeypatch, **env_map(mock_openai, "openai"), **values)

    return configure


@pytest.fixture
def baggage_context() -> Any:
    tokens: list[object] = []

    def attach(**entries: str) -> None:
        ctx = otel_context.get_current()
        for key, value in entries.items():
            ctx = baggage.set_baggage(key, value, ctx)
        tokens.append(otel_context.attach(ctx))

    yield attach
    for token in reversed(tokens):
        otel_context.detach(token)


def test_baggage_reaches_span_and_allow_listed_counter_labels(
    env: Any, mock_openai: MockProvider, instrumented: Pipeline, baggage_context: Any
) -> None:
    env(GENAI_COST_BAGGAGE_KEYS="tenant.id,user.id,feature", GENAI_COST_METRIC_LABELS="tenant.id,feature")
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    baggage_context(**{"tenant.id": "acme", "user.id": "u-1001", "feature": "search", "session.id": "not-allowed"})
    client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(1000, 100))

    [span] = instrumented.finished()
    attrs = span.attributes
    assert (attrs["tenant.id"], attrs["user.id"], attrs["feature"]) == ("acme", "u-1001", "search")
    assert "session.id" not in attrs

    [(labels, value)] = series(instrumented, names.METRIC_COST).items()
    assert attribution_of(labels) == {"tenant.id": "acme", "feature": "search"}  # user.id: span only
    assert math.isclose(value, cost(1000, 100), rel_tol=1e-9)
    tokens = {
        dict(k)[names.TOKEN_TYPE]: (attribution_of(k), v) for k, v in series(instrumented, names.METRIC_TOKENS).items()
    }
    assert tokens["input"] == ({"tenant.id": "acme", "feature": "search"}, 1000)
    assert tokens["output"] == ({"tenant.id": "acme", "feature": "search"}, 100)
    # The semconv histograms keep their semconv attributes only.
    for attrs_, _ in (
        instrumented.metrics()[names.METRIC_TOKEN_USAGE] + instrumented.metrics()[names.METRIC_OPERATION_DURATION]
    ):
        assert not {"tenant.id", "feature", "user.id"} & attrs_.keys()


def test_without_configuration_baggage_is_ignored(
    env: Any, mock_openai: MockProvider, instrumented: Pipeline, baggage_context: Any
) -> None:
    env()
    baggage_context(**{"tenant.id": "acme"})
    openai.OpenAI(base_url=mock_openai.base_url, max_retries=0).chat.completions.create(
        model="gpt-4o-mini", messages=USER, extra_body=forced(10, 1)
    )
    [span] = instrumented.finished()
    assert "tenant.id" not in span.attributes
    [labels] = series(instrumented, names.METRIC_COST)
    assert dict(labels).keys() == MODEL_LABELS


def test_api_sync_nesting_splits_cost_per_label(env: Any, mock_openai: MockProvider, instrumented: Pipeline) -> None:
    env(GENAI_COST_METRIC_LABELS="tenant,feature")
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)

    @genai_cost.attributes(feature="summary")
    def summarise(prompt: int) -> None:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(prompt, 10))

    with genai_cost.attributes(tenant="acme", feature="search"):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(1000, 10))
        summarise(2000)
        with genai_cost.attributes(tenant="globex"):
            summarise(3000)
    client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(4000, 10))

    spans = instrumented.finished()
    assert [(s.attributes.get("tenant"), s.attributes.get("feature")) for s in spans] == [
        ("acme", "search"), ("acme", "summary"), ("globex", "summary"), (None, None),
    ]  # fmt: skip
    by = cost_by_attribution(instrumented)
    assert by.keys() == {
        frozenset({("tenant", "acme"), ("feature", "search")}),
        frozenset({("tenant", "acme"), ("feature", "summary")}),
        frozenset({("tenant", "globex"), ("feature", "summary")}),
        frozenset(),
    }
    assert math.isclose(by[frozenset({("tenant", "acme"), ("feature", "summary")})], cost(2000, 10), rel_tol=1e-9)
    assert math.isclose(by[frozenset({("tenant", "globex"), ("feature", "summary")})], cost(3000, 10), rel_tol=1e-9)
    assert math.isclose(by[frozenset()], cost(4000, 10), rel_tol=1e-9)


async def test_api_async_streams_keep_the_attribution_of_their_start(
    env: Any, mock_openai: MockProvider, instrumented: Pipeline
) -> None:
    env(GENAI_COST_METRIC_LABELS="tenant")
    client = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)

    @genai_cost.attributes(tenant="acme")
    async def open_stream() -> Any:
        return await client.chat.completions.create(
            model="gpt-4o-mini", messages=USER, stream=True, extra_body=forced(500, 20)
        )

    stream = await open_stream()
    async with genai_cost.attributes(tenant="other"):
        chunks = [chunk async for chunk in stream]  # consumed elsewhere; priced for acme
    assert chunks
    [span] = instrumented.finished()
    assert span.attributes["tenant"] == "acme"
    assert cost_by_attribution(instrumented) == {
        frozenset({("tenant", "acme")}): pytest.approx(cost(500, 20), rel=1e-9)
    }


def test_cap_through_the_sdk_other_on_metrics_real_value_on_spans(
    env: Any, mock_openai: MockProvider, instrumented: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    env(GENAI_COST_METRIC_LABELS="tenant.id", GENAI_COST_LABEL_LIMIT="2")
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    tenants = ["acme", "globex", "initech", "umbrella", "acme"]
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        for i, tenant in enumerate(tenants):
            with genai_cost.attributes({"tenant.id": tenant}):
                client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(100 * (i + 1), 1))

    assert [s.attributes["tenant.id"] for s in instrumented.finished()] == tenants
    by = cost_by_attribution(instrumented)
    assert by.keys() == {frozenset({("tenant.id", t)}) for t in ("acme", "globex", "_other")}
    assert math.isclose(by[frozenset({("tenant.id", "acme")})], cost(100, 1) + cost(500, 1), rel_tol=1e-9)
    assert math.isclose(by[frozenset({("tenant.id", "_other")})], cost(300, 1) + cost(400, 1), rel_tol=1e-9)
    assert instrumented.metrics()[names.METRIC_ATTRIBUTION_OVERFLOW] == [({names.ATTRIBUTION_LABEL: "tenant.id"}, 2)]
    warnings = [r.getMessage() for r in caplog.records if "distinct values" in r.getMessage()]
    assert len(warnings) == 1 and "'tenant_id'" in warnings[0]


def test_cap_holds_for_ten_thousand_tenants_in_the_exported_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """10,000 distinct values through Telemetry and a real MeterProvider: the label keeps the cap."""
    set_env(monkeypatch, GENAI_COST_METRIC_LABELS="tenant.id", GENAI_COST_LABEL_LIMIT="100")
    reader = InMemoryMetricReader()
    meter_provider, tracer_provider = MeterProvider(metric_readers=[reader]), TracerProvider()
    telemetry = Telemetry(tracer_provider, meter_provider)
    endpoint = endpoints.detect("https://api.openai.com/v1")
    try:
        for i in range(10_000):
            with genai_cost.attributes({"tenant.id": f"tenant-{i}"}):
                call = telemetry.start("chat", endpoint, "gpt-4o-mini")
            call.finish(Outcome(Usage(input_tokens=1000, output_tokens=100), response_model="gpt-4o-mini"))
        points = {
            metric.name: [(dict(p.attributes), getattr(p, "value", p)) for p in metric.data.data_points]
            for rm in reader.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
        }
    finally:
        meter_provider.shutdown()
        tracer_provider.shutdown()
    cost_points = points[names.METRIC_COST]
    tenants = {attrs["tenant.id"] for attrs, _ in cost_points}
    assert len(cost_points) == 101 and len(tenants) == 101
    assert tenants == {f"tenant-{i}" for i in range(100)} | {"_other"}
    by_tenant = {attrs["tenant.id"]: value for attrs, value in cost_points}
    assert math.isclose(by_tenant["tenant-0"], cost(1000, 100), rel_tol=1e-9)
    assert math.isclose(by_tenant["_other"], 9_900 * cost(1000, 100), rel_tol=1e-9)
    assert math.isclose(sum(by_tenant.values()), 10_000 * cost(1000, 100), rel_tol=1e-9)
    assert len(points[names.METRIC_TOKENS]) == 101 * 5
    assert points[names.METRIC_ATTRIBUTION_OVERFLOW] == [({names.ATTRIBUTION_LABEL: "tenant.id"}, 9_900)]


def test_unpriced_calls_are_attributed_too(env: Any, mock_openai: MockProvider, instrumented: Pipeline) -> None:
    env(GENAI_COST_METRIC_LABELS="tenant")
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    with genai_cost.attributes(tenant="acme"):
        client.chat.completions.create(model="acme-internal-7b", messages=USER)
    [(labels, calls)] = series(instrumented, names.METRIC_UNPRICED).items()
    assert dict(labels)["tenant"] == "acme" and dict(labels)[names.UNPRICED_REASON] == "unknown_model"
    assert calls == 1
    assert names.METRIC_COST not in instrumented.metrics()  # never a $0 series
