"""GENAI_COST_PRICES_FILE end to end: the real openai SDK over HTTP to the mock provider, real OTel SDK.

Expected costs by hand: the file's own prices, or the bundled gpt-4o-mini $0.15 in / $0.075 cached /
$0.60 out (openai.com/api/pricing) scaled by the file's discount.
"""

from __future__ import annotations

import logging
from pathlib import Path

import openai
import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, env_map, set_env

M = 1_000_000
USER = [{"role": "user", "content": "What is 10 + 5?"}]
PRICES = """\
models:
  - name: llama-on-prem
    provider: vllm
    match: meta-llama/Llama-3.1-8B-Instruct
    prices: {input: 0, output: 0}
  - name: prod-deployment
    provider: azure.ai.openai
    match: prod-gpt4o-mini
    alias: gpt-4o-mini
discounts:
  - name: openai-commit
    provider: openai
    multiplier: 0.5
"""


def usage(prompt: int, completion: int, cached: int = 0) -> dict[str, object]:
    body = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {"mock": {"usage": {**body, "prompt_tokens_details": {"cached_tokens": cached}}}}


def gauge(pipeline: Pipeline) -> list[tuple[dict[str, object], object]]:
    return pipeline.metrics().get(names.METRIC_PRICES_FILE_ERRORS, [])


def test_override_file_prices_spans_and_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    with MockProvider() as mock:
        set_env(monkeypatch, **env_map(mock, "vllm"), GENAI_COST_PRICES_FILE=str(path))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        client.chat.completions.create(model="meta-llama/Llama-3.1-8B-Instruct", messages=USER)
    [span] = instrumented.finished()
    attrs = span.attributes
    assert attrs[names.USAGE_COST] == 0.0  # free on purpose, not unpriced
    assert attrs[names.COST_SOURCE] == "override"
    assert attrs[names.PRICE_ENTRY] == "override:prices.yaml#llama-on-prem"
    assert names.UNPRICED_REASON not in attrs
    assert names.METRIC_UNPRICED not in instrumented.metrics()
    [(labels, cost)] = instrumented.metrics()[names.METRIC_COST]
    assert cost == 0.0 and labels[names.PROVIDER_NAME] == "vllm"  # a $0 series: the user said so
    assert gauge(instrumented) == [({names.PRICES_FILE: str(path)}, 0)]


def test_discount_and_alias(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    with MockProvider() as mock:
        set_env(monkeypatch, **env_map(mock, "openai"), GENAI_COST_PRICES_FILE=str(path))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=usage(2000, 100, cached=1024))
    with MockProvider() as mock:
        set_env(monkeypatch, **env_map(mock, "azure.ai.openai"), GENAI_COST_PRICES_FILE=str(path))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        client.chat.completions.create(model="prod-gpt4o-mini", messages=USER, extra_body=usage(1000, 10))
    discounted, aliased = (span.attributes for span in instrumented.finished())
    assert discounted[names.USAGE_COST] == pytest.approx(0.5 * (976 * 0.15 + 1024 * 0.075 + 100 * 0.6) / M, rel=1e-9)
    assert discounted[names.CACHE_SAVINGS] == pytest.approx(0.5 * 1024 * (0.15 - 0.075) / M, rel=1e-9)
    assert discounted[names.COST_SOURCE] == "override"
    assert discounted[names.PRICE_ENTRY] == "openai/gpt-4o-mini x0.5 (override:prices.yaml#openai-commit)"
    assert aliased[names.USAGE_COST] == pytest.approx((1000 * 0.15 + 10 * 0.6) / M, rel=1e-9)
    assert aliased[names.PRICE_ENTRY] == "override:prices.yaml#prod-deployment -> azure/gpt-4o-mini"


def test_broken_file_keeps_the_app_running_on_bundled_prices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"models": [\n  {"name": "x", "match": "gpt-4o-mini", "prices": {"input": 1}}\n]}\n')
    with MockProvider() as mock, caplog.at_level(logging.WARNING, logger="genai_cost"):
        set_env(monkeypatch, **env_map(mock, "openai"), GENAI_COST_PRICES_FILE=str(path))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        for _ in range(2):
            reply = client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=usage(1000, 10))
            assert reply.usage.prompt_tokens == 1000
    for span in instrumented.finished():
        assert span.attributes[names.COST_SOURCE] == "bundled"
        assert span.attributes[names.USAGE_COST] == pytest.approx((1000 * 0.15 + 10 * 0.6) / M, rel=1e-9)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        f"genai-cost: GENAI_COST_PRICES_FILE={path} is not used, calls are priced from the bundled prices: "
        f"{path}:2: models[0] (x): prices.output is required (write 0 for a free model)"
    ]
    assert gauge(instrumented) == [({names.PRICES_FILE: str(path)}, 1)]


def test_no_file_no_gauge(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    openai.OpenAI(base_url=mock_openai.base_url, max_retries=0).chat.completions.create(model="gpt-4o", messages=USER)
    assert gauge(instrumented) == []


def test_prometheus_series_name_of_the_file_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry, generate_latest

    from genai_cost.handler import Telemetry

    path = tmp_path / "prices.yaml"
    path.write_text("models: [}\n")
    set_env(monkeypatch, GENAI_COST_PRICES_FILE=str(path))
    registry = CollectorRegistry()
    meter_provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    try:
        Telemetry(meter_provider=meter_provider)
        exposition = generate_latest(registry).decode()
    finally:
        meter_provider.shutdown()
    assert "# TYPE genai_cost_prices_file_errors gauge" in exposition
    [sample] = [line for line in exposition.splitlines() if line.startswith("genai_cost_prices_file_errors{")]
    assert f'genai_cost_prices_file="{path}"' in sample and sample.endswith("} 1.0")
