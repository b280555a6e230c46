"""100,000 calls leave nothing behind but bounded caches, and the counters' label sets stay bounded.

What dominates a call is the SDK's own work (building the request, parsing the response: about
0.6 ms), not genai-cost's (about 0.1 ms). So most calls here enter genai-cost's real wrapper with
the SDK's round trip replaced by a response the real SDK parsed from the mock provider's bytes
once; every 100th call (plain and streamed alternately) is a whole real SDK call over the
in-process mock transport. Spans go to a processor that keeps nothing, as an exporting pipeline
would; tracemalloc then compares what the calls left alive at 75,000 and at 100,000 calls.
"""

from __future__ import annotations

import gc
import logging
import tracemalloc
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from genai_cost.totals import MAX_LABEL_SETS
from tests.conftest import Pipeline
from tests.robustness.conftest import Sdk, counter, local_client, tokens_by_type

CALLS = 100_000
REAL_EVERY = 100
EXTRA_MODELS = MAX_LABEL_SETS + 100  # more distinct models than the counters keep label sets for
ALLOWED_GROWTH = 64 * 1024  # bytes the last 25,000 calls leave beyond the 25,000 before: < 3 bytes a call


class Counting(SpanExporter):
    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


@pytest.fixture
def lean_pipeline() -> Iterator[tuple[Pipeline, Counting]]:
    exporter = Counting()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    yield Pipeline(None, reader, tracer_provider, meter_provider), exporter  # type: ignore[arg-type]
    meter_provider.shutdown()
    tracer_provider.shutdown()


def test_100k_calls_leave_only_bounded_state(
    sdk: Sdk, lean_pipeline: tuple[Pipeline, Counting], caplog: pytest.LogCaptureFixture
) -> None:
    pipeline, exporter = lean_pipeline
    caplog.set_level(logging.ERROR, logger="genai_cost")  # one warning per unknown model is expected
    instrumentor = sdk.instrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        client = local_client(sdk, MockProvider())
        models = [sdk.model] + [f"{sdk.model}-tenant-{k}" for k in range(EXTRA_MODELS)]
        usage = sdk.wire_usage(900, 90, 256)
        method = sdk.method(client)  # genai-cost's wrapper around the SDK method, bound to the client
        # One response per model, parsed by the real SDK from the mock's bytes (unrecorded: unwrapped).
        canned = {model: method.__wrapped__(**sdk.request(model, usage)) for model in models}

        def call(i: int) -> None:
            model = models[i % len(models)]
            if i % REAL_EVERY == 0:
                if i % (2 * REAL_EVERY):
                    assert len(list(sdk.stream(client, model, usage))) > 1
                else:
                    sdk.plain(client, model, usage)
            else:
                response = canned[model]
                returned = method._self_wrapper(
                    lambda *a, **k: response, method._self_instance, (), sdk.request(model, None)
                )
                assert returned is response

        for i in range(2 * len(models)):  # every model seen, every cache warm
            call(i)
        pipeline.reader.get_metrics_data()
        warm_spans = exporter.spans

        def run(calls: range) -> None:
            for i in calls:
                call(i)
            pipeline.reader.get_metrics_data()  # a collection, as a periodic reader makes
            gc.collect()

        # Counters and metric state replace their objects as they change; tracemalloc counts such
        # replacements as new. What grows is what one stretch of calls leaves beyond the previous.
        run(range(0, CALLS // 2))
        tracemalloc.start()
        run(range(CALLS // 2, 3 * CALLS // 4))
        before = tracemalloc.take_snapshot()
        run(range(3 * CALLS // 4, CALLS))
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        growth = after.compare_to(before, "lineno")
    finally:
        instrumentor.uninstrument()

    assert exporter.spans - warm_spans == CALLS
    grown = sum(stat.size_diff for stat in growth)
    assert grown < ALLOWED_GROWTH, "\n".join(str(stat) for stat in growth[:10])

    # Label sets: at most MAX_LABEL_SETS, the rest counted under the overflow model, nothing lost.
    label_sets = {(a[names.REQUEST_MODEL], a[names.RESPONSE_MODEL]) for a, _ in pipeline.metrics()[names.METRIC_TOKENS]}
    assert len(label_sets) <= MAX_LABEL_SETS + 1
    assert (names.OVERFLOW_MODEL, names.OVERFLOW_MODEL) in label_sets
    assert not any("otel.metric.overflow" in a for points in pipeline.metrics().values() for a, _ in points)
    total_calls = CALLS + 2 * len(models)
    assert tokens_by_type(pipeline)["input"] == 900 * total_calls
    priced = counter(pipeline, names.METRIC_UNPRICED)
    assert 0 < priced < total_calls  # the tenant models have no price; the base model does
