"""genai-cost next to the other instrumentations of the same SDK, both active at once.

For each peer of the SDK (the official OpenTelemetry instrumentation, OpenLLMetry), in both
orders (the one instrumented last wraps outermost): the app gets exactly what it gets with the
peer alone, genai-cost records one span per call, and its counters equal the hand-computed sums:
nothing is counted twice. What users see besides is asserted and documented in
docs/coexistence.md: two CLIENT spans per call, one nested in the other, and the
semconv histograms written by both, told apart by their instrumentation scope.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.robustness.conftest import SDKS, Peer, Sdk, close, counter, local_client, ours, tokens_by_type

# (input, output, cache read) of each call of the scenario
PLAIN = (1200, 80, 1024)
STREAMED = (900, 45, 0)
ASKED = (300, 30, 0)  # a stream whose app asks for usage itself
ASYNC = (2000, 10, 512)


@contextmanager
def pristine(sdk: Sdk) -> Iterator[None]:
    """Put back every method of the SDK's resource classes as it was.

    Instrumentors unwrap by name: uninstrumenting one can remove the other's wrapper, or leave
    its own behind when it is not outermost. Tests must not pass that on to the next test.
    """
    prefix = f"{sdk.name}.resources"
    saved = [
        (cls, attr, value)
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith(prefix)
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__
        for attr, value in list(vars(cls).items())
        if callable(value)
    ]
    try:
        yield
    finally:
        for cls, attr, value in saved:
            if vars(cls).get(attr) is not value:
                setattr(cls, attr, value)


def scenario(sdk: Sdk, client: Any, async_client: Any) -> list[Any]:
    """The calls, and what the app saw of each."""

    def view(item: Any) -> Any:
        return item.model_dump(exclude={"id", "created"})

    return [
        view(sdk.plain(client, sdk.model, sdk.wire_usage(*PLAIN))),
        [view(c) for c in sdk.stream(client, sdk.model, sdk.wire_usage(*STREAMED))],
        [view(c) for c in sdk.stream_asking_usage(client, sdk.model, sdk.wire_usage(*ASKED))],
        view(asyncio.run(sdk.async_plain(async_client, sdk.model, sdk.wire_usage(*ASYNC)))),
    ]


def instrument(peer: Peer, pipeline: Pipeline) -> Any:
    instrumentor = importlib.import_module(peer.module).OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    return instrumentor


PAIRS = [(sdk, peer) for sdk in SDKS.values() for peer in sdk.peers]


@pytest.mark.parametrize("ours_outermost", [False, True], ids=["peer-outer", "genai-cost-outer"])
@pytest.mark.parametrize(("sdk", "peer"), PAIRS, ids=[f"{s.name}-{p.name}" for s, p in PAIRS])
def test_counters_never_double_count(
    sdk: Sdk, peer: Peer, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, ours_outermost: bool
) -> None:
    monkeypatch.setenv("TRACELOOP_TRACE_CONTENT", "false")  # OpenLLMetry records prompts unless told not to
    mock = MockProvider()
    client, async_client = local_client(sdk, mock), local_client(sdk, mock, asynchronous=True)
    with pristine(sdk):  # (OpenLLMetry 0.62.4 leaves its chat wrapper in place when uninstrumented)
        peer_instrumentor = instrument(peer, pipeline)
        peer_alone = scenario(sdk, client, async_client)
        peer_instrumentor.uninstrument()
    pipeline.spans.clear()
    with pristine(sdk):
        together = run_together(sdk, peer, pipeline, ours_outermost, client, async_client)
    check_together(sdk, peer, pipeline, ours_outermost, together, peer_alone)


def run_together(sdk: Sdk, peer: Peer, pipeline: Pipeline, ours_outermost: bool, client: Any, async_client: Any) -> Any:
    cost = sdk.instrumentor()
    first, second = (peer, cost) if ours_outermost else (cost, peer)
    instrumentors = []
    for which in (first, second):
        if which is cost:
            cost.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
            instrumentors.append(cost)
        else:
            instrumentors.append(instrument(peer, pipeline))
    try:
        return scenario(sdk, client, async_client)
    finally:
        for instrumentor in reversed(instrumentors):  # outermost first: each unwraps its own
            instrumentor.uninstrument()


def check_together(
    sdk: Sdk, peer: Peer, pipeline: Pipeline, ours_outermost: bool, together: Any, peer_alone: Any
) -> None:
    assert together == peer_alone  # the app gets what it gets with the peer alone

    spans = ours(pipeline)
    assert len(spans) == 4
    calls = (PLAIN, STREAMED, ASKED, ASYNC)
    assert [s.attributes[names.USAGE_INPUT_TOKENS] for s in spans] == [c[0] for c in calls]
    assert tokens_by_type(pipeline)["input"] == sum(c[0] for c in calls)
    assert tokens_by_type(pipeline)["cache_read"] == sum(c[2] for c in calls)
    assert close(counter(pipeline, names.METRIC_COST), sum(sdk.cost(i, o, c) for i, o, c in calls))
    assert counter(pipeline, names.METRIC_UNPRICED) == 0

    # What users see besides: the peer's own CLIENT span for each call, nested with ours...
    theirs = [s for s in pipeline.finished() if s.instrumentation_scope.name.startswith(peer.scope_prefix)]
    assert len(theirs) == len(spans)
    if ours_outermost:  # the usage chunk genai-cost asked for passes through the peer: it records it too
        assert theirs[1].attributes.get(names.USAGE_INPUT_TOKENS) == STREAMED[0]
    by_id = {s.context.span_id: s for s in pipeline.finished()}
    for span in spans:
        parent = by_id.get(span.parent.span_id) if span.parent else None
        if ours_outermost:
            assert parent is None
        else:
            assert parent is not None and parent.instrumentation_scope.name.startswith(peer.scope_prefix)
    # ...and the semconv duration histogram from both, one series set per scope.
    scopes = {
        scope.scope.name
        for rm in pipeline.reader.get_metrics_data().resource_metrics
        for scope in rm.scope_metrics
        if any(m.name == names.METRIC_OPERATION_DURATION for m in scope.metrics)
    }
    assert names.SCOPE_NAME in scopes and any(s.startswith(peer.scope_prefix) for s in scopes)
