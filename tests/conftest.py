"""Shared fixtures: a real OTel SDK pipeline kept in memory, the mock provider, instrumentation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genai_cost import config, endpoints


@dataclass
class Pipeline:
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def metrics(self) -> dict[str, list[tuple[dict[str, Any], Any]]]:
        """metric name -> [(attributes, value or histogram point)]"""
        found: dict[str, list[tuple[dict[str, Any], Any]]] = {}
        data = self.reader.get_metrics_data()
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    points = found.setdefault(metric.name, [])
                    for point in metric.data.data_points:
                        value = point.value if hasattr(point, "value") else point
                        points.append((dict(point.attributes), value))
        return found


@pytest.fixture
def pipeline() -> Iterator[Pipeline]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Pipeline(spans, reader, tracer_provider, meter_provider)
    meter_provider.shutdown()
    tracer_provider.shutdown()


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    """Set GENAI_COST_* variables and make genai-cost read them again."""
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    config.reset()
    endpoints.reset_cache()


@pytest.fixture(autouse=True)
def _fresh_config() -> Iterator[None]:
    config.reset()
    endpoints.reset_cache()
    yield
    config.reset()
    endpoints.reset_cache()


@pytest.fixture
def mock_openai() -> Iterator[Any]:
    from genai_cost.mockprovider import MockProvider

    with MockProvider() as mock:
        yield mock


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    from genai_cost.openai import OpenAICostInstrumentor

    instrumentor = OpenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


def env_map(mock: Any, provider: str) -> dict[str, str]:
    return {"GENAI_COST_PROVIDER_MAP": f"127.0.0.1:{mock.port}={provider}"}


os.environ.setdefault("OPENAI_API_KEY", "test-key")
# LiteLLM fetches its model cost map from GitHub at import unless told to use its bundled copy: tests
# never leave loopback.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
