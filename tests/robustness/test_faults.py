"""Faults around a call: whatever breaks, the app's call returns or raises exactly as it would
without genai-cost, and what can still be recorded is.

The calls go through the real SDK over real HTTP to the local mock provider, which serves the
malformed and unfamiliar responses, so the SDK parses them as it would a real server's.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import StatusCode

from genai_cost import config, names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env
from tests.robustness.conftest import FAULT_SDKS, Sdk, close, counter, ours, tokens_by_type

# The anthropic SDK warns about the retired model name the tests price on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")


@pytest.fixture(params=list(FAULT_SDKS.values()), ids=list(FAULT_SDKS))
def sdk(request: pytest.FixtureRequest) -> Sdk:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def http_mock(sdk: Sdk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[MockProvider]:
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in sdk.newer_shapes) + "\n")
    with MockProvider(flavor=sdk.flavor, records_path=records) as mock:
        # The mock is this provider as far as genai-cost can tell (prices, stream usage request).
        set_env(monkeypatch, GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock.port}={sdk.provider_name}")
        yield mock


# Made up per response by the mock (ids, timestamps) or the HTTP server (headers), at any depth.
_PER_RESPONSE = frozenset({"id", "created", "response_id", "create_time", "sdk_http_response", "date"})


def _without_per_response(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_per_response(v) for k, v in data.items() if k not in _PER_RESPONSE}
    if isinstance(data, list):
        return [_without_per_response(item) for item in data]
    return data


def app_view(result: Any) -> Any:
    """What the app got, less what the mock makes up per response."""
    if isinstance(result, list):
        return [app_view(item) for item in result]
    if isinstance(result, dict):  # botocore's responses and stream events are plain dicts
        return _without_per_response(result)
    return _without_per_response(result.model_dump(warnings=False))


def without_genai_cost(instrumentor: Any, pipeline: Pipeline, call: Callable[[], Any]) -> Any:
    """Run `call` with genai-cost uninstrumented, then instrument it again."""
    instrumentor.uninstrument()
    try:
        return call()
    finally:
        instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)


def only_span(pipeline: Pipeline) -> Any:
    spans = ours(pipeline)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def durations(pipeline: Pipeline) -> int:
    return sum(point.count for _, point in pipeline.metrics().get(names.METRIC_OPERATION_DURATION, []))


def genai_cost_records(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "genai_cost" and r.levelno >= level]


# --- pricing that raises -----------------------------------------------------------------------


def _lookup_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_prices.data_snapshot import DataSnapshot

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("price data unreadable")

    monkeypatch.setattr(DataSnapshot, "find_provider_model", broken)


def _calculation_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_prices.types import ModelInfo

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("bad price entry")

    monkeypatch.setattr(ModelInfo, "calc_price", broken)


@pytest.mark.parametrize("break_pricing", [_lookup_raises, _calculation_raises], ids=["lookup", "calculation"])
def test_pricing_raising_leaves_the_call_alone_and_counts_it_unpriced(
    sdk: Sdk,
    http_mock: MockProvider,
    cost_instrumented: Any,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    break_pricing: Callable[[pytest.MonkeyPatch], None],
) -> None:
    client = sdk.client(http_mock.base_url, None)
    usage = sdk.wire_usage(1000, 50, 0)
    bare = without_genai_cost(cost_instrumented, pipeline, lambda: sdk.plain(client, sdk.model, usage))
    break_pricing(monkeypatch)
    caplog.set_level(logging.DEBUG, logger="genai_cost")

    responses = [sdk.plain(client, sdk.model, usage) for _ in range(3)]

    assert [app_view(r) for r in responses] == [app_view(bare)] * 3
    spans = ours(pipeline)
    assert len(spans) == 3
    for span in spans:
        assert span.attributes[names.UNPRICED_REASON] == names.UNPRICED_PRICE_ERROR
        assert span.attributes[names.USAGE_INPUT_TOKENS] == 1000
        assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 50
        assert names.USAGE_COST not in span.attributes
    assert counter(pipeline, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: names.UNPRICED_PRICE_ERROR}) == 3
    assert tokens_by_type(pipeline)["input"] == 3000
    assert names.METRIC_COST not in pipeline.metrics()  # never a $0 series
    assert len(genai_cost_records(caplog, logging.ERROR)) == 1  # logged once, with the traceback


# --- bad environment values ------------------------------------------------------------------


def test_bad_env_values_warn_once_each_and_fall_back_to_defaults(
    sdk: Sdk,
    http_mock: MockProvider,
    cost_instrumented: Any,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    set_env(
        monkeypatch,
        GENAI_COST_STREAM_USAGE="sometimes",
        GENAI_COST_PROVIDER_MAP=f"no-equals-sign, 127.0.0.1:{http_mock.port}={sdk.provider_name}, gw.internal=acme",
        GENAI_COST_STREAM_USAGE_HOSTS=" , ,",
    )
    caplog.set_level(logging.DEBUG, logger="genai_cost")
    client = sdk.client(http_mock.base_url, None)

    for _ in range(3):
        sdk.plain(client, sdk.model, sdk.wire_usage(100, 10, 0))
        chunks = list(sdk.stream(client, sdk.model, sdk.wire_usage(200, 20, 0)))
        assert chunks

    warnings = [r.getMessage() for r in genai_cost_records(caplog, logging.WARNING)]
    assert len(warnings) == 3, warnings
    assert any("GENAI_COST_STREAM_USAGE='sometimes'" in w for w in warnings)
    assert any("GENAI_COST_PROVIDER_MAP='no-equals-sign'" in w for w in warnings)
    assert any("GENAI_COST_PROVIDER_MAP='gw.internal=acme'" in w and "unknown provider" in w for w in warnings)
    # The valid parts apply, the rest are defaults: priced as the provider, stream usage asked for (auto).
    assert config.get().stream_usage == "auto"
    spans = ours(pipeline)
    assert len(spans) == 6
    assert close(counter(pipeline, names.METRIC_COST), 3 * (sdk.cost(100, 10) + sdk.cost(200, 20)))
    assert counter(pipeline, names.METRIC_UNPRICED) == 0


# --- malformed or missing usage, served by the mock ------------------------------------------------

# (name, usage on the wire, expected (input, output) recorded or the unpriced reason)
MALFORMED: list[tuple[str, dict[str, Any], tuple[int, int] | str]] = [
    ("none_fields", {"prompt_tokens": 100, "completion_tokens": None, "total_tokens": None,
                     "prompt_tokens_details": None, "completion_tokens_details": None}, (100, 0)),
    ("numeric_strings", {"prompt_tokens": "120", "completion_tokens": "7"}, (120, 7)),
    ("negative", {"prompt_tokens": -5, "completion_tokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("huge", {"prompt_tokens": 10**30, "completion_tokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("beyond_int64", {"prompt_tokens": 2**63, "completion_tokens": 1}, names.UNPRICED_INVALID_USAGE),
    ("words", {"prompt_tokens": "lots", "completion_tokens": 7}, names.UNPRICED_INVALID_USAGE),
    ("bool", {"prompt_tokens": True, "completion_tokens": 7}, names.UNPRICED_INVALID_USAGE),
    ("cache_above_input", {"prompt_tokens": 10, "completion_tokens": 5,
                           "prompt_tokens_details": {"cached_tokens": 50}}, names.UNPRICED_INVALID_USAGE),
    ("nested_wrong_type", {"prompt_tokens": 10, "completion_tokens": 5,
                           "prompt_tokens_details": "cached=5"}, (10, 5)),
    ("no_known_fields", {"input_text_tokens": 10, "output_text_tokens": 5}, names.UNPRICED_NO_USAGE),
]  # fmt: skip


# The same faults in Anthropic's and Gemini's usage shapes. Anthropic's input leaves the cache out;
# in a stream the mock sends the usage on message_start and its output count on message_delta.
MALFORMED_ANTHROPIC: list[tuple[str, dict[str, Any], tuple[int, int] | str]] = [
    ("none_fields", {"input_tokens": 100, "output_tokens": 9, "cache_read_input_tokens": None,
                     "cache_creation_input_tokens": None, "cache_creation": None, "server_tool_use": None}, (100, 9)),
    ("numeric_strings", {"input_tokens": "120", "output_tokens": "7"}, (120, 7)),
    ("negative", {"input_tokens": -5, "output_tokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("huge", {"input_tokens": 10**30, "output_tokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("words", {"input_tokens": "lots", "output_tokens": 7}, names.UNPRICED_INVALID_USAGE),
    ("negative_cache", {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": -50},
     names.UNPRICED_INVALID_USAGE),
    ("nested_wrong_type", {"input_tokens": 10, "output_tokens": 5, "cache_creation": "5m=3"}, (10, 5)),
    ("no_known_fields", {"input_text_tokens": 10, "output_text_tokens": 5}, names.UNPRICED_NO_USAGE),
]  # fmt: skip
MALFORMED_GEMINI: list[tuple[str, dict[str, Any], tuple[int, int] | str]] = [
    ("none_fields", {"promptTokenCount": 100, "candidatesTokenCount": None, "thoughtsTokenCount": None,
                     "cachedContentTokenCount": None}, (100, 0)),
    ("numeric_strings", {"promptTokenCount": "120", "candidatesTokenCount": "7"}, (120, 7)),
    ("negative", {"promptTokenCount": -5, "candidatesTokenCount": 10}, names.UNPRICED_INVALID_USAGE),
    ("huge", {"promptTokenCount": 10**30, "candidatesTokenCount": 10}, names.UNPRICED_INVALID_USAGE),
    ("cache_above_input", {"promptTokenCount": 10, "candidatesTokenCount": 5, "cachedContentTokenCount": 50},
     names.UNPRICED_INVALID_USAGE),
    ("no_known_fields", {"inputTextTokens": 10, "outputTextTokens": 5}, names.UNPRICED_NO_USAGE),
]  # fmt: skip
# Mistral's usage has OpenAI's shape; its SDK itself rejects a word or a bool as a count.
MALFORMED_MISTRAL = [case for case in MALFORMED if case[0] not in ("words", "bool")]
# Bedrock Converse's usage: inputTokens leave the cache out, so no cache count can exceed them.
# botocore parses a Converse body's counts with int() (a word raises in botocore, a bool becomes 1)
# but passes a ConverseStream event's values through as sent: those two run for streams only.
MALFORMED_BEDROCK: list[tuple[str, dict[str, Any], tuple[int, int] | str]] = [
    ("none_fields", {"inputTokens": 100, "outputTokens": None, "totalTokens": None, "cacheReadInputTokens": None,
                     "cacheWriteInputTokens": None, "cacheDetails": None}, (100, 0)),
    ("numeric_strings", {"inputTokens": "120", "outputTokens": "7"}, (120, 7)),
    ("negative", {"inputTokens": -5, "outputTokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("huge", {"inputTokens": 10**30, "outputTokens": 10}, names.UNPRICED_INVALID_USAGE),
    ("beyond_int64", {"inputTokens": 2**63, "outputTokens": 1}, names.UNPRICED_INVALID_USAGE),
    ("negative_cache", {"inputTokens": 10, "outputTokens": 5, "cacheWriteInputTokens": -50},
     names.UNPRICED_INVALID_USAGE),
    ("no_known_fields", {"input_text_tokens": 10, "output_text_tokens": 5}, names.UNPRICED_NO_USAGE),
]  # fmt: skip
MALFORMED_BEDROCK_STREAM: list[tuple[str, dict[str, Any], tuple[int, int] | str]] = [
    ("words", {"inputTokens": "lots", "outputTokens": 7}, names.UNPRICED_INVALID_USAGE),
    ("bool", {"inputTokens": True, "outputTokens": 7}, names.UNPRICED_INVALID_USAGE),
    ("cache_word", {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": "x"}, names.UNPRICED_INVALID_USAGE),
]  # fmt: skip
BOTH = (False, True)
MALFORMED_CASES = [
    pytest.param(FAULT_SDKS[name], usage, expected, streamed, id=f"{name}-{'stream' if streamed else 'plain'}-{case}")
    for name, table, modes in (
        ("openai", MALFORMED, BOTH),
        ("anthropic", MALFORMED_ANTHROPIC, BOTH),
        ("google-genai", MALFORMED_GEMINI, BOTH),
        ("mistralai", MALFORMED_MISTRAL, BOTH),
        ("bedrock", MALFORMED_BEDROCK, BOTH),
        ("bedrock", MALFORMED_BEDROCK_STREAM, (True,)),
    )
    for case, usage, expected in table
    for streamed in modes
    # An Anthropic stream's message_start always reports output_tokens (1), as the API's does: never no usage.
    if not (name == "anthropic" and streamed and expected == names.UNPRICED_NO_USAGE)
]


@pytest.mark.parametrize(("sdk", "usage", "expected", "streamed"), MALFORMED_CASES)
def test_malformed_usage(
    sdk: Sdk,
    http_mock: MockProvider,
    cost_instrumented: Any,
    pipeline: Pipeline,
    usage: dict[str, Any],
    expected: tuple[int, int] | str,
    streamed: bool,
) -> None:
    client = sdk.client(http_mock.base_url, None)

    def call() -> Any:
        return list(sdk.stream(client, sdk.model, usage)) if streamed else sdk.plain(client, sdk.model, usage)

    bare = without_genai_cost(cost_instrumented, pipeline, call)
    assert app_view(call()) == app_view(bare)

    span = only_span(pipeline)
    assert span.end_time is not None and span.status.status_code is StatusCode.UNSET
    assert durations(pipeline) == 1
    metrics = pipeline.metrics()
    if isinstance(expected, str):  # unpriced, and nothing untrue in the counters or on the span
        assert span.attributes[names.UNPRICED_REASON] == expected
        assert names.USAGE_INPUT_TOKENS not in span.attributes and names.USAGE_COST not in span.attributes
        assert counter(pipeline, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: expected}) == 1
        assert all(value == 0 for value in tokens_by_type(pipeline).values())
        assert names.METRIC_COST not in metrics and names.METRIC_TOKEN_USAGE not in metrics
    else:
        input_tokens, output_tokens = expected
        assert span.attributes[names.USAGE_INPUT_TOKENS] == input_tokens
        assert span.attributes[names.USAGE_OUTPUT_TOKENS] == output_tokens
        assert close(span.attributes[names.USAGE_COST], sdk.cost(input_tokens, output_tokens))
        assert close(counter(pipeline, names.METRIC_COST), sdk.cost(input_tokens, output_tokens))
        assert counter(pipeline, names.METRIC_UNPRICED) == 0


# botocore parses a Converse body's counts with int() after the HTTP call: a word raises in the SDK.
@pytest.mark.parametrize("sdk", [FAULT_SDKS["bedrock"]], ids=["bedrock"])
def test_response_the_sdk_cannot_parse_reaches_the_app_and_fails_the_span(
    sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline
) -> None:
    client = sdk.client(http_mock.base_url, None)
    usage = {"inputTokens": "lots", "outputTokens": 7}

    def app() -> str:
        try:
            sdk.plain(client, sdk.model, usage)
        except ValueError as error:
            return repr(error)
        raise AssertionError("botocore's error did not reach the app")

    assert (
        app()
        == without_genai_cost(cost_instrumented, pipeline, app)
        == repr(ValueError("invalid literal for int() with base 10: 'lots'"))
    )
    span = only_span(pipeline)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == "ValueError"
    assert names.USAGE_INPUT_TOKENS not in span.attributes and names.UNPRICED_REASON not in span.attributes
    assert durations(pipeline) == 1
    assert counter(pipeline, names.METRIC_UNPRICED) == 0 and names.METRIC_COST not in pipeline.metrics()


# The Anthropic API always reports usage (and the mock has no model without it).
@pytest.mark.parametrize("sdk", [FAULT_SDKS["openai"], FAULT_SDKS["google-genai"]], ids=["openai", "google-genai"])
def test_missing_usage_is_unpriced_not_free(
    sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline
) -> None:
    client = sdk.client(http_mock.base_url, None)
    sdk.plain(client, "mock-no-usage", None)
    list(sdk.stream(client, "mock-no-usage", None))
    spans = ours(pipeline)
    assert [s.attributes[names.UNPRICED_REASON] for s in spans] == [names.UNPRICED_NO_USAGE] * 2
    assert counter(pipeline, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: names.UNPRICED_NO_USAGE}) == 2
    assert names.METRIC_COST not in pipeline.metrics()


# --- response shapes from a newer SDK or API -------------------------------------------------------


@pytest.mark.parametrize("sdk", [s for s in FAULT_SDKS.values() if s.replay], ids=lambda s: s.name)
def test_unknown_response_shapes(sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline) -> None:
    client = sdk.client(http_mock.base_url, None)
    for record in sdk.newer_shapes:
        bare = without_genai_cost(cost_instrumented, pipeline, lambda r=record: sdk.replay(client, r["id"]))
        assert app_view(sdk.replay(client, record["id"])) == app_view(bare)

    unreadable, readable = ours(pipeline)
    assert unreadable.attributes[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
    assert unreadable.attributes[names.RESPONSE_MODEL] == sdk.model
    assert readable.attributes[names.USAGE_INPUT_TOKENS] == 40
    assert close(readable.attributes[names.USAGE_COST], sdk.cost(40, 4))
    assert readable.attributes[names.RESPONSE_FINISH_REASONS] == ("stop",)


# --- streams the app does not finish --------------------------------------------------------------


class AppError(Exception):
    pass


def _consume_then_raise(stream: Any, after: int) -> None:
    for i, _chunk in enumerate(stream):
        if i + 1 == after:
            raise AppError(f"app failed after {after} chunks")


# google-genai's streams are generators and botocore's EventStream only an iterable, neither a
# context manager: no `with` block for them.
CONSUMER_CASES = [
    pytest.param(sdk, with_block, id=f"{sdk.name}-{'with' if with_block else 'loop'}")
    for sdk in FAULT_SDKS.values()
    for with_block in (False, True)
    if not (with_block and sdk.name in ("google-genai", "bedrock"))
]


@pytest.mark.parametrize(("sdk", "with_block"), CONSUMER_CASES)
def test_stream_whose_consumer_raises(
    sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline, with_block: bool
) -> None:
    client = sdk.client(http_mock.base_url, None)

    def app() -> str:
        try:
            if with_block:
                with sdk.stream(client, sdk.model, None) as stream:
                    _consume_then_raise(stream, 2)
            else:
                _consume_then_raise(sdk.stream(client, sdk.model, None), 2)
        except AppError as error:
            return repr(error)
        raise AssertionError("the app's error did not reach the app")

    assert app() == without_genai_cost(cost_instrumented, pipeline, app)
    gc.collect()
    span = only_span(pipeline)
    assert span.status.status_code is StatusCode.UNSET  # the app's error, not the call's
    assert durations(pipeline) == 1
    assert_left_early(sdk, pipeline, [span])


def assert_left_early(sdk: Sdk, pipeline: Pipeline, spans: list[Any]) -> None:
    """Streams left after their first chunks: priced from the usage read so far where the first chunks
    carry it, else unpriced (OpenAI's usage comes in the last chunk) and never $0."""
    if sdk.early_stream_usage:
        assert all(names.UNPRICED_REASON not in s.attributes for s in spans)
        costs = [s.attributes[names.USAGE_COST] for s in spans]
        assert all(cost > 0 for cost in costs)
        assert close(counter(pipeline, names.METRIC_COST), sum(costs))
        assert counter(pipeline, names.METRIC_UNPRICED) == 0
    else:
        assert [s.attributes[names.UNPRICED_REASON] for s in spans] == [names.UNPRICED_NO_USAGE] * len(spans)
        assert counter(pipeline, names.METRIC_UNPRICED) == len(spans)


def test_stream_abandoned_without_close_is_recorded_once_at_gc(
    sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline
) -> None:
    client = sdk.client(http_mock.base_url, None)
    stream = sdk.stream(client, sdk.model, None)
    first = next(iter(stream))
    assert first is not None
    assert ours(pipeline) == []  # still open: nothing recorded yet
    del stream
    gc.collect()
    assert len(ours(pipeline)) == 1
    gc.collect()
    full = list(sdk.stream(client, sdk.model, sdk.wire_usage(300, 30, 0)))  # read to the end, then collected
    del full
    gc.collect()
    abandoned, finished = ours(pipeline)
    assert close(finished.attributes[names.USAGE_COST], sdk.cost(300, 30))
    assert durations(pipeline) == 2
    if sdk.early_stream_usage:
        assert names.UNPRICED_REASON not in abandoned.attributes
        assert abandoned.attributes[names.USAGE_COST] > 0
        assert counter(pipeline, names.METRIC_UNPRICED) == 0
    else:
        assert abandoned.attributes[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
        assert counter(pipeline, names.METRIC_UNPRICED) == 1


# boto3 has no async client (aioboto3 and aiobotocore are other packages, not instrumented).
ASYNC_SDKS = [sdk for sdk in FAULT_SDKS.values() if sdk.async_stream is not None]


@pytest.mark.parametrize("sdk", ASYNC_SDKS, ids=[sdk.name for sdk in ASYNC_SDKS])
async def test_async_stream_abandoned_and_consumer_raising(
    sdk: Sdk, http_mock: MockProvider, cost_instrumented: Any, pipeline: Pipeline
) -> None:
    assert sdk.async_client is not None and sdk.async_stream is not None
    client = sdk.async_client(http_mock.base_url, None)
    stream = await sdk.async_stream(client, sdk.model, None)
    async for _chunk in stream:
        break
    del stream
    gc.collect()
    with pytest.raises(AppError):
        stream = await sdk.async_stream(client, sdk.model, None)
        if sdk.name == "google-genai":  # an async generator, not a context manager
            async for _chunk in stream:
                raise AppError("app failed")
        async with stream:
            async for _chunk in stream:
                raise AppError("app failed")
    del stream
    gc.collect()
    spans = ours(pipeline)
    assert len(spans) == 2 and durations(pipeline) == 2
    assert_left_early(sdk, pipeline, spans)


# --- an SDK version without some of the wrapped methods -----------------------------------------------
# Bedrock is wrapped in one botocore method, which every botocore has: no "others" to stay instrumented.
SEVERAL_PATCHES = [sdk for sdk in FAULT_SDKS.values() if len(sdk.patched) > 1]


@pytest.mark.parametrize("sdk", SEVERAL_PATCHES, ids=[sdk.name for sdk in SEVERAL_PATCHES])
def test_sdk_without_a_wrapped_method(
    sdk: Sdk,
    http_mock: MockProvider,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An older SDK: one method missing from a class, and one whole module missing where genai-cost
    # wraps more than one (anthropic and google-genai are wrapped in one module each).
    module_name, method = sdk.patched[1].split(":")
    class_name, attribute = method.split(".")
    monkeypatch.delattr(getattr(importlib.import_module(module_name), class_name), attribute)
    missing_module = next((p.split(":")[0] for p in reversed(sdk.patched) if not p.startswith(module_name + ":")), None)
    if missing_module is not None:
        monkeypatch.setitem(sys.modules, missing_module, None)  # import fails, as for a module that never existed
    caplog.set_level(logging.DEBUG, logger="genai_cost")

    instrumentor = sdk.instrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        lines = [r.getMessage() for r in genai_cost_records(caplog)]
        assert len(lines) == 1, lines
        assert f"{module_name}.{method}" in lines[0] and (missing_module or "") in lines[0]
        client = sdk.client(http_mock.base_url, None)
        sdk.plain(client, sdk.model, sdk.wire_usage(500, 5, 0))  # the others are still instrumented
        assert close(only_span(pipeline).attributes[names.USAGE_COST], sdk.cost(500, 5))
    finally:
        instrumentor.uninstrument()
    assert len(genai_cost_records(caplog)) == 1  # uninstrumenting the partial set says nothing either
