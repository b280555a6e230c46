"""The price data of a process's first call: loaded in the background while the request waits for
the provider, after the SDK's own first-call work, with the requested model's rates resolved, and
the call priced exactly once it is loaded.

Each case runs in a fresh interpreter: the data loads once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_FIRST_CALL = """
import json, sys, threading, time
import openai
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from genai_cost.handler import get_telemetry
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor

latency_ms = int(sys.argv[1])
mock = MockProvider()
mock.start()
exporter = InMemorySpanExporter()
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
OpenAICostInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
book = get_telemetry(tracer_provider, meter_provider).prices
client = openai.OpenAI(api_key="sk-test", base_url=mock.base_url, max_retries=0)
client.chat  # the SDK's lazy import of its chat resources, before the clock starts

loaded_at, resolved_at = [], []
def rates_resolved():
    entry = book._entries.get(("openai", "openai", "gpt-4o-mini", "gpt-4o-mini", None))
    return entry is not None and entry.bands[0] is not None

def watch(started):
    while "genai_prices.data" not in sys.modules:
        time.sleep(0.001)
    loaded_at.append(time.perf_counter() - started)
    while not rates_resolved():
        time.sleep(0.001)
    resolved_at.append(time.perf_counter() - started)

started = time.perf_counter()
threading.Thread(target=watch, args=(started,), daemon=True).start()
before = "genai_prices" in sys.modules
client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                               extra_body={"mock": {"latency_ms": latency_ms}})
returned_at = time.perf_counter() - started
time.sleep(0.05)
span = exporter.get_finished_spans()[-1]
print(json.dumps({"before": before, "loaded_at": loaded_at[0], "resolved_at": resolved_at[0],
                  "returned_at": returned_at,
                  "attributes": dict(span.attributes)}))
mock.stop()
"""


def _first_call(latency_ms: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALL, str(latency_ms)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_price_data_loads_while_the_first_request_waits_for_the_provider() -> None:
    seen = _first_call(latency_ms=1500)
    assert seen["before"] is False  # nothing loaded before the first call
    # Not before the warm-up's delay (the SDK's own first-call work has the GIL to itself), and
    # well before the provider answers: the call is priced at its end without waiting.
    assert 0.05 <= seen["loaded_at"] <= seen["resolved_at"] < 1.0  # the requested model's rates too
    assert seen["returned_at"] >= 1.5
    _assert_priced(seen["attributes"])


@pytest.mark.parametrize("latency_ms", [0, 1500])
def test_the_first_call_is_priced_however_soon_the_provider_answers(latency_ms: int) -> None:
    """A provider answering before the warm-up has loaded the data: the call loads it itself."""
    seen = _first_call(latency_ms)
    _assert_priced(seen["attributes"])


def _assert_priced(attributes: object) -> None:
    assert isinstance(attributes, dict)
    usage = attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]
    cached = attributes["gen_ai.usage.cache_read.input_tokens"]
    # gpt-4o-mini in the bundled data: $0.15 / $0.075 cached / $0.60 per million tokens
    expected = ((usage[0] - cached) * 0.15 + cached * 0.075 + usage[1] * 0.60) / 1e6
    assert attributes["gen_ai.usage.cost"] == pytest.approx(expected, rel=1e-9)
    assert attributes["genai_cost.cost.source"] == "bundled"
