"""An OTLP endpoint that is down or hangs never slows the app's calls.

Real OTLP/HTTP exporters behind the SDK's batch span processor and periodic metric reader (what
`opentelemetry-instrument` sets up) point at a closed port or at a server that accepts and never
answers; the in-memory pipeline next to them shows what was recorded meanwhile.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.helpers import free_port
from tests.robustness.conftest import Sdk, close, counter, local_client, ours

CALLS = 40
EXPORT_TIMEOUT_S = 3.0  # a blocked call would take at least this long


class Hanging:
    """A TCP server on loopback that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self.sock.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture(params=["down", "hanging"])
def endpoint(request: pytest.FixtureRequest) -> Iterator[tuple[str, Hanging | None]]:
    if request.param == "down":
        yield f"http://127.0.0.1:{free_port()}", None
        return
    server = Hanging()
    yield server.url, server
    server.close()


@pytest.fixture
def exporting_pipeline(endpoint: tuple[str, Hanging | None]) -> Iterator[Pipeline]:
    url, _ = endpoint
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    tracer_provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{url}/v1/traces", timeout=EXPORT_TIMEOUT_S),
            schedule_delay_millis=10,
            max_export_batch_size=4,
        )
    )
    reader = InMemoryMetricReader()
    exporting_reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{url}/v1/metrics", timeout=EXPORT_TIMEOUT_S),
        export_interval_millis=20,
        export_timeout_millis=EXPORT_TIMEOUT_S * 1000,
    )
    meter_provider = MeterProvider(metric_readers=[reader, exporting_reader], shutdown_on_exit=False)
    yield Pipeline(spans, reader, tracer_provider, meter_provider)
    # Shutting down waits for the stuck exports; in a thread, so the test does not wait for it.
    threading.Thread(target=meter_provider.shutdown, daemon=True).start()
    threading.Thread(target=tracer_provider.shutdown, daemon=True).start()


def test_calls_are_not_slowed_by_an_unreachable_exporter(
    sdk: Sdk, endpoint: tuple[str, Hanging | None], exporting_pipeline: Pipeline
) -> None:
    pipeline = exporting_pipeline
    instrumentor = sdk.instrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        client = local_client(sdk, MockProvider())
        usage = sdk.wire_usage(700, 70, 0)
        slowest = 0.0
        exports_started = False
        for i in range(CALLS):
            started = time.perf_counter()
            response: Any = sdk.plain(client, sdk.model, usage) if i % 2 else list(sdk.stream(client, sdk.model, usage))
            slowest = max(slowest, time.perf_counter() - started)
            assert response
            time.sleep(0.01)  # let the batch processor and the reader try to export meanwhile
            _, hanging = endpoint
            exports_started = exports_started or hanging is None or bool(hanging.accepted)
    finally:
        instrumentor.uninstrument()

    assert exports_started  # the exporters really were stuck on the endpoint while the calls ran
    assert slowest < EXPORT_TIMEOUT_S / 3, slowest
    spans = ours(pipeline)
    assert len(spans) == CALLS
    assert close(counter(pipeline, names.METRIC_COST), CALLS * sdk.cost(700, 70))
