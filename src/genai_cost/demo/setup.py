"""The demo's world: local mock providers, the environment genai-cost reads, and an OTel SDK that
keeps spans in memory and serves metrics on a Prometheus endpoint."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, start_http_server

from genai_cost import config, endpoints
from genai_cost.mockprovider import MockProvider

DEFAULT_PORT = 9464
HOST = "127.0.0.1"
# OpenAI-compatible mocks, reached through the openai SDK: each one's flavor is also its
# gen_ai.provider.name, told to genai-cost by the provider map. The anthropic and google-genai SDKs
# name their provider themselves.
OPENAI_FLAVORS = ("openai", "x_ai", "openrouter")
MOCK_FLAVORS = (*OPENAI_FLAVORS, "anthropic", "gemini", "bedrock", "mistral")
API_KEY = "demo-key-for-the-local-mock"  # the mocks accept any key

# --- local mock providers and the environment genai-cost reads ----------------------------------


@contextmanager
def mock_providers() -> Iterator[dict[str, str]]:
    """Start one mock per flavor; yields flavor -> the URL its SDK takes as base URL."""
    with ExitStack() as stack:
        mocks = {flavor: MockProvider(HOST, 0, flavor).start() for flavor in MOCK_FLAVORS}
        for mock in mocks.values():
            stack.callback(mock.stop)
        # The openai SDK wants the API's base (".../v1"); the others add their own path.
        yield {flavor: mock.base_url if flavor in OPENAI_FLAVORS else mock.root_url for flavor, mock in mocks.items()}


@contextmanager
def provider_map(base_urls: Mapping[str, str]) -> Iterator[None]:
    """Map each mock's host:port to its provider in GENAI_COST_PROVIDER_MAP, for this block."""
    mapping = ",".join(f"{_host_port(url)}={flavor}" for flavor, url in base_urls.items())
    previous = os.environ.get(config.ENV_PROVIDER_MAP)
    os.environ[config.ENV_PROVIDER_MAP] = mapping
    _reload_config()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(config.ENV_PROVIDER_MAP, None)
        else:
            os.environ[config.ENV_PROVIDER_MAP] = previous
        _reload_config()


def _host_port(base_url: str) -> str:
    return base_url.split("//", 1)[1].split("/", 1)[0]


def _reload_config() -> None:
    config.reset()
    endpoints.reset_cache()


# --- OpenTelemetry: spans in memory, metrics on a Prometheus endpoint ----------------------------


@dataclass
class Exporters:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    spans: InMemorySpanExporter
    server: Any  # the WSGI server of prometheus_client
    url: str

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.meter_provider.shutdown()
        self.tracer_provider.shutdown()


def start_exporters(port: int) -> Exporters:
    """Serve metrics on HOST:port (0: a free port); raises OSError when the port is taken."""
    registry = CollectorRegistry()
    server, _thread = start_http_server(port, addr=HOST, registry=registry)
    resource = Resource.create({"service.name": "genai-cost-demo"})
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = PrometheusMetricReader(registry=registry)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    url = f"http://{HOST}:{server.server_port}/metrics"
    return Exporters(tracer_provider, meter_provider, spans, server, url)
