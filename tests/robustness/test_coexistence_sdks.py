"""genai-cost next to the other instrumentations of the anthropic and google-genai SDKs.

For each peer (the official OpenTelemetry instrumentation and OpenLLMetry, pinned in the `test`
extra), instrumented before and after genai-cost: the app gets exactly what it gets with the peer
alone, genai-cost records one span per call, and its counters equal the hand-computed sums, so
nothing is counted twice. The peer's own span is asserted too, as documented in docs/coexistence.md
("Next to other instrumentations"). The anthropic SDK's own spans (GENAI_COST_ANTHROPIC_SDK_SPANS)
are covered at the end.

Prices (genai-prices 0.2.3, USD per million tokens): claude-sonnet-4-5 $3 in / $0.30 cache read /
$3.75 5-minute cache write / $15 out; gemini-2.5-flash $0.30 in / $0.03 cache read / $2.50 out.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env
from tests.robustness.conftest import close, counter, ours, tokens_by_type

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
M = 1_000_000
USER = [{"role": "user", "content": "What is 10 + 5?"}]


@dataclass(frozen=True)
class Calls:
    """One SDK's scenario: a plain call, a stream read to the end and an async call, each with a forced usage."""

    name: str
    flavor: str  # the mock provider's wire format
    patched_modules: tuple[str, ...]  # module prefixes whose classes the instrumentations wrap
    peers: tuple[tuple[str, str], ...]  # (name, "module:Instrumentor")
    run: Callable[[MockProvider], list[Any]]  # what the app saw of each call
    # (input, output, cache read, cache write) genai-cost records for each call, and their cost in USD
    expected: tuple[tuple[int, int, int, int], ...]
    cost: Callable[[int, int, int, int], float]


# --- anthropic ---------------------------------------------------------------------------------


def _anthropic_usage(uncached: int, output: int, read: int = 0, write_5m: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": uncached,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write_5m,
        "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
    }


def _anthropic_run(mock: MockProvider) -> list[Any]:
    import anthropic

    client = anthropic.Anthropic(base_url=mock.root_url, api_key="test-key", max_retries=0)
    aclient = anthropic.AsyncAnthropic(base_url=mock.root_url, api_key="test-key", max_retries=0)
    model, ask = "claude-sonnet-4-5", {"max_tokens": 64, "messages": USER}
    plain = client.messages.create(model=model, **ask, extra_body={"mock": {"usage": _anthropic_usage(176, 80, 1024)}})
    stream_body = {"mock": {"usage": _anthropic_usage(40, 1, 500, 300), "delta_usage": {"output_tokens": 45}}}
    events = list(client.messages.create(model=model, **ask, stream=True, extra_body=stream_body))
    asynchronous = asyncio.run(
        aclient.messages.create(model=model, **ask, extra_body={"mock": {"usage": _anthropic_usage(2000, 10)}})
    )
    return [_view(plain), [_view(e) for e in events], _view(asynchronous)]


def _anthropic_cost(input_tokens: int, output_tokens: int, read: int, write: int) -> float:
    return ((input_tokens - read - write) * 3.0 + read * 0.30 + write * 3.75 + output_tokens * 15.0) / M


ANTHROPIC = Calls(
    name="anthropic",
    flavor="anthropic",
    patched_modules=("anthropic",),
    peers=(
        ("official", "opentelemetry.instrumentation.genai.anthropic:AnthropicInstrumentor"),
        ("openllmetry", "opentelemetry.instrumentation.anthropic:AnthropicInstrumentor"),
    ),
    run=_anthropic_run,
    expected=((1200, 80, 1024, 0), (840, 45, 500, 300), (2000, 10, 0, 0)),
    cost=_anthropic_cost,
)


# --- google-genai ------------------------------------------------------------------------------


def _gemini_usage(prompt: int, candidates: int, cached: int = 0) -> dict[str, Any]:
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates, "totalTokenCount": prompt + candidates}
    if cached:
        usage["cachedContentTokenCount"] = cached
    return usage


def _gemini_run(mock: MockProvider) -> list[Any]:
    from google import genai
    from google.genai import types

    def forced(usage: dict[str, Any]) -> types.GenerateContentConfig:
        return types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"usage": usage}}))

    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=mock.root_url))
    model = "gemini-2.5-flash"
    plain = client.models.generate_content(model=model, contents="hello", config=forced(_gemini_usage(1200, 80, 1024)))
    chunks = list(
        client.models.generate_content_stream(model=model, contents="hi", config=forced(_gemini_usage(900, 45)))
    )
    asynchronous = asyncio.run(
        client.aio.models.generate_content(model=model, contents="hello", config=forced(_gemini_usage(2000, 10, 512)))
    )
    return [_view(plain), [_view(c) for c in chunks], _view(asynchronous)]


def _gemini_cost(input_tokens: int, output_tokens: int, read: int, write: int) -> float:
    assert write == 0
    return ((input_tokens - read) * 0.30 + read * 0.03 + output_tokens * 2.50) / M


GOOGLE_GENAI = Calls(
    name="google-genai",
    flavor="gemini",
    patched_modules=("google.genai",),
    peers=(
        ("official", "opentelemetry.instrumentation.google_genai:GoogleGenAiSdkInstrumentor"),
        ("openllmetry", "opentelemetry.instrumentation.google_generativeai:GoogleGenerativeAiInstrumentor"),
    ),
    run=_gemini_run,
    expected=((1200, 80, 1024, 0), (900, 45, 0, 0), (2000, 10, 512, 0)),
    cost=_gemini_cost,
)


def _view(item: Any) -> Any:
    """What the app got, less what the mock makes up per response."""
    data = item.model_dump(exclude={"id", "response_id", "create_time", "sdk_http_response"}, warnings=False)
    if isinstance(data.get("message"), dict):  # message_start events carry the message's id
        data["message"].pop("id", None)
    return data


# --- the instrumentations ------------------------------------------------------------------------


def _cost_instrumentor(calls: Calls) -> Any:
    if calls is ANTHROPIC:
        from genai_cost.anthropic import AnthropicCostInstrumentor

        return AnthropicCostInstrumentor()
    from genai_cost.google_genai import GoogleGenAICostInstrumentor

    return GoogleGenAICostInstrumentor()


def _peer_instrumentor(target: str) -> Any:
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)()


@contextmanager
def pristine(calls: Calls) -> Iterator[None]:
    """Put back every method of the SDK's classes as it was.

    Instrumentors unwrap by name: uninstrumenting one can remove another's wrapper, or leave its
    own behind when it is not outermost. Tests must not pass that on to the next test.
    """
    saved = [
        (cls, attr, value)
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith(calls.patched_modules)
        for cls in list(vars(module).values())
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


def providers(pipeline: Pipeline) -> dict[str, Any]:
    # skip_dep_check: the official google-genai instrumentation 1.3b0 declares google-genai < 3 and
    # declines 3.x unless told to try (see docs/coexistence.md); the others accept the installed SDKs anyway.
    return {
        "tracer_provider": pipeline.tracer_provider,
        "meter_provider": pipeline.meter_provider,
        "skip_dep_check": True,
    }


PAIRS = [(calls, peer) for calls in (ANTHROPIC, GOOGLE_GENAI) for peer in calls.peers]


@pytest.mark.parametrize("ours_last", [False, True], ids=["genai-cost-first", "genai-cost-last"])
@pytest.mark.parametrize(("calls", "peer"), PAIRS, ids=[f"{c.name}-{p[0]}" for c, p in PAIRS])
def test_counters_never_double_count(
    calls: Calls, peer: tuple[str, str], pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, ours_last: bool
) -> None:
    monkeypatch.setenv("TRACELOOP_TRACE_CONTENT", "false")  # OpenLLMetry records prompts unless told not to
    with MockProvider(flavor=calls.flavor) as mock:
        with pristine(calls):
            alone = _peer_instrumentor(peer[1])
            alone.instrument(**providers(pipeline))
            try:
                peer_alone = calls.run(mock)
            finally:
                alone.uninstrument()
        peer_spans_alone = len(pipeline.finished())
        pipeline.spans.clear()

        cost, other = _cost_instrumentor(calls), _peer_instrumentor(peer[1])
        order = [other, cost] if ours_last else [cost, other]
        with pristine(calls):
            for instrumentor in order:
                instrumentor.instrument(**providers(pipeline))
            try:
                together = calls.run(mock)
            finally:
                for instrumentor in reversed(order):
                    instrumentor.uninstrument()

    assert together == peer_alone  # the app gets what it gets with the peer alone

    spans = ours(pipeline)
    assert len(spans) == len(calls.expected)
    assert [
        (
            s.attributes[names.USAGE_INPUT_TOKENS],
            s.attributes[names.USAGE_OUTPUT_TOKENS],
            s.attributes.get(names.USAGE_CACHE_READ_INPUT_TOKENS, 0),
            s.attributes.get(names.USAGE_CACHE_WRITE_INPUT_TOKENS, 0),
        )
        for s in spans
    ] == list(calls.expected)
    tokens = tokens_by_type(pipeline)
    assert tokens["input"] == sum(e[0] for e in calls.expected)
    assert tokens["output"] == sum(e[1] for e in calls.expected)
    assert tokens.get("cache_read", 0) == sum(e[2] for e in calls.expected)
    assert tokens.get("cache_write", 0) == sum(e[3] for e in calls.expected)
    assert close(counter(pipeline, names.METRIC_COST), sum(calls.cost(*e) for e in calls.expected))
    assert counter(pipeline, names.METRIC_UNPRICED) == 0

    # What users see besides: the peer's own spans, as many as with the peer alone.
    theirs = [s for s in pipeline.finished() if s.instrumentation_scope.name != names.SCOPE_NAME]
    assert peer_spans_alone >= 1
    assert len(theirs) == peer_spans_alone
    assert not [s for s in theirs if names.USAGE_COST in s.attributes]  # only genai-cost's span carries a cost
    # Nested where the peer keeps its span current during the call: anthropic's peers wrap the
    # resource methods, genai-cost the client's request below them, so ours is inside whichever
    # instrumentation loads first; OpenLLMetry does not make its span current, so there are two roots.
    by_id = {s.context.span_id: s for s in pipeline.finished()}
    peer_outer = calls is ANTHROPIC or not ours_last
    for span in spans:
        parent = by_id.get(span.parent.span_id) if span.parent else None
        if peer[0] == "official" and peer_outer:
            assert parent is not None and parent.instrumentation_scope.name != names.SCOPE_NAME
        elif peer[0] == "openllmetry" or not peer_outer:
            assert parent is None
    # The peer records its own semconv histograms under its scope; genai-cost's counters are its alone.
    scopes: dict[str, set[str]] = {}
    for rm in pipeline.reader.get_metrics_data().resource_metrics:
        for scope in rm.scope_metrics:
            for metric in scope.metrics:
                scopes.setdefault(metric.name, set()).add(scope.scope.name)
    for name in (names.METRIC_COST, names.METRIC_TOKENS):
        assert scopes[name] == {names.SCOPE_NAME}
    assert len(scopes[names.METRIC_OPERATION_DURATION]) == 2


# --- the anthropic SDK's own spans ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["off", "child"])
def test_anthropic_sdk_spans_next_to_a_peer(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    import anthropic

    set_env(monkeypatch, GENAI_COST_ANTHROPIC_SDK_SPANS=mode)
    cost, peer = _cost_instrumentor(ANTHROPIC), _peer_instrumentor(ANTHROPIC.peers[0][1])
    with MockProvider(flavor="anthropic") as mock, pristine(ANTHROPIC):
        for instrumentor in (cost, peer):
            instrumentor.instrument(**providers(pipeline))
        try:
            client = anthropic.Anthropic(
                base_url=mock.root_url,
                api_key="test-key",
                max_retries=0,
                open_telemetry={"tracer_provider": pipeline.tracer_provider},
            )
            for _ in range(2):
                client.messages.create(
                    model="claude-sonnet-4-5",
                    max_tokens=64,
                    messages=USER,
                    extra_body={"mock": {"usage": _anthropic_usage(176, 80, 1024)}},
                )
        finally:
            for instrumentor in (peer, cost):
                instrumentor.uninstrument()

    spans = ours(pipeline)
    assert [s.attributes[names.USAGE_INPUT_TOKENS] for s in spans] == [1200, 1200]
    assert close(counter(pipeline, names.METRIC_COST), 2 * _anthropic_cost(1200, 80, 1024, 0))
    assert tokens_by_type(pipeline)["input"] == 2400
    by_scope: dict[str, list[Any]] = {}
    for span in pipeline.finished():
        by_scope.setdefault(span.instrumentation_scope.name, []).append(span)
    sdk_spans = by_scope.get("com.anthropic.sdk.python", [])
    if mode == "off":
        assert sdk_spans == []
        return
    assert len(sdk_spans) == 2
    by_id = {s.context.span_id: s for s in pipeline.finished()}
    for span in sdk_spans:  # a child of ours, without a second copy of the token counts
        assert by_id[span.parent.span_id].instrumentation_scope.name == names.SCOPE_NAME
        assert not any(key.startswith(("gen_ai.usage.", "anthropic.usage.")) for key in span.attributes)
