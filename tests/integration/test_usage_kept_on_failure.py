"""No usage lost on failure: a call that fails after the provider already reported billed usage
keeps error.type on its span AND counts and prices that usage (never an estimate), and the counters
agree with the span. Real SDKs over real HTTP to the mock provider, which fails midway on request:
``mock.error_after`` (Anthropic's in-band error event), ``mock.cut_after`` (the connection drops in
the middle of a stream) and ``mock.fail_step`` (a later request of Gemini's automatic function
calling fails).

Prices per million tokens, copied from genai-prices 0.2.3: claude-sonnet-4-5 $3 in / $0.30 cache
read / $3.75 5-minute cache write / $15 out; gpt-4o-mini $0.15 / $0.075 cached / $0.60;
gemini-2.5-flash $0.30 / $0.03 cached / $2.50 out.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google import genai
from google.genai import errors, types
from opentelemetry.trace import StatusCode

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, env_map, set_env

pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
M = 1_000_000
USER = [{"role": "user", "content": "What is 10 + 5?"}]


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def counter(pipeline: Pipeline, name: str) -> float:
    return sum(value for _, value in pipeline.metrics().get(name, []))


def tokens_by_type(pipeline: Pipeline) -> dict[str, float]:
    found: dict[str, float] = {}
    for attrs, value in pipeline.metrics().get(names.METRIC_TOKENS, []):
        found[attrs[names.TOKEN_TYPE]] = found.get(attrs[names.TOKEN_TYPE], 0) + value
    return found


def only_span(pipeline: Pipeline) -> Any:
    spans = [s for s in pipeline.finished() if s.instrumentation_scope.name == "genai_cost"]
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def assert_failed_with_usage(pipeline: Pipeline, error_type: str, tokens: dict[str, int], cost: float) -> None:
    """The span has the error and the reported usage; the counters hold the same tokens and cost."""
    span = only_span(pipeline)
    attrs = span.attributes
    assert span.status.status_code is StatusCode.ERROR
    assert attrs[names.ERROR_TYPE] == error_type
    assert attrs[names.USAGE_INPUT_TOKENS] == tokens["input"]
    assert attrs[names.USAGE_OUTPUT_TOKENS] == tokens["output"]
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == tokens["cache_read"]
    assert attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == tokens["cache_write"]
    assert attrs[names.USAGE_REASONING_OUTPUT_TOKENS] == tokens["reasoning"]
    assert close(attrs[names.USAGE_COST], cost)
    assert names.UNPRICED_REASON not in attrs
    assert close(counter(pipeline, names.METRIC_COST), cost)
    assert tokens_by_type(pipeline) == tokens
    assert counter(pipeline, names.METRIC_UNPRICED) == 0
    [(duration_attrs, point)] = pipeline.metrics()[names.METRIC_OPERATION_DURATION]
    assert duration_attrs[names.ERROR_TYPE] == error_type and point.count == 1


def tokens(input: int, output: int, cache_read: int = 0, cache_write: int = 0, reasoning: int = 0) -> dict[str, int]:
    return {"input": input, "output": output, "cache_read": cache_read, "cache_write": cache_write,
            "reasoning": reasoning}  # fmt: skip


# --- anthropic: the stream errors after message_start ---------------------------------------------

SONNET_USAGE = {
    "input_tokens": 40,
    "cache_read_input_tokens": 2000,
    "cache_creation_input_tokens": 100,
    "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 12,
    "service_tier": "standard",
}
# message_start reports the input, the cache counts and 1 output token so far.
SONNET_STARTED_COST = (40 * 3.0 + 2000 * 0.30 + 100 * 3.75 + 1 * 15.0) / M
SONNET_STARTED_TOKENS = tokens(input=2140, output=1, cache_read=2000, cache_write=100)


@pytest.fixture
def anthropic_mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic") as provider:
        yield provider


@pytest.fixture
def anthropic_pipeline(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = AnthropicCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


def anthropic_client(mock: MockProvider, cls: Any = anthropic.Anthropic) -> Any:
    return cls(base_url=mock.root_url, api_key="test-key", max_retries=0)


def test_anthropic_stream_error_event_keeps_message_start_usage(
    anthropic_mock: MockProvider, anthropic_pipeline: Pipeline
) -> None:
    client = anthropic_client(anthropic_mock)
    stream = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, messages=USER, stream=True,
        extra_body={"mock": {"usage": SONNET_USAGE, "error_after": 4}},
    )  # fmt: skip
    seen = []
    with pytest.raises(anthropic.APIStatusError) as raised:
        for event in stream:
            seen.append(event.type)
    assert seen == ["message_start", "content_block_start", "content_block_delta"]  # the SDK drops the ping
    assert raised.value.body["error"]["type"] == "overloaded_error"
    # The SDK raises the in-band error with the stream's HTTP status, 200: error.type is the exception's.
    assert raised.value.status_code == 200
    assert_failed_with_usage(anthropic_pipeline, "anthropic.APIStatusError", SONNET_STARTED_TOKENS, SONNET_STARTED_COST)
    assert only_span(anthropic_pipeline).attributes[names.RESPONSE_MODEL] == "claude-sonnet-4-5"


async def test_anthropic_async_stream_helper_cut_midway(
    anthropic_mock: MockProvider, anthropic_pipeline: Pipeline
) -> None:
    client = anthropic_client(anthropic_mock, anthropic.AsyncAnthropic)
    # What the app sees is the SDK's choice, and the span names it: anthropic lets httpx2's error
    # through, or (2.17) wraps it in its own APIConnectionError.
    error_types = {httpx2.RemoteProtocolError: "httpx2.RemoteProtocolError",
                   anthropic.APIConnectionError: "anthropic.APIConnectionError"}  # fmt: skip
    with pytest.raises(tuple(error_types)) as raised:
        async with client.messages.stream(
            model="claude-sonnet-4-5", max_tokens=100, messages=USER,
            extra_body={"mock": {"usage": SONNET_USAGE, "cut_after": 3}},
        ) as stream:  # fmt: skip
            async for _ in stream:
                pass
    error_type = error_types[type(raised.value)]
    assert_failed_with_usage(anthropic_pipeline, error_type, SONNET_STARTED_TOKENS, SONNET_STARTED_COST)


def test_anthropic_stream_failing_before_message_start_counts_nothing(
    anthropic_mock: MockProvider, anthropic_pipeline: Pipeline
) -> None:
    client = anthropic_client(anthropic_mock)
    stream = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, messages=USER, stream=True,
        extra_body={"mock": {"error_after": 0}},
    )  # fmt: skip
    with pytest.raises(anthropic.APIStatusError):
        list(stream)
    span = only_span(anthropic_pipeline)
    assert span.status.status_code is StatusCode.ERROR
    assert names.USAGE_INPUT_TOKENS not in span.attributes and names.USAGE_COST not in span.attributes
    assert names.UNPRICED_REASON not in span.attributes  # nothing was billed: not an unpriced call
    assert counter(anthropic_pipeline, names.METRIC_COST) == 0
    assert counter(anthropic_pipeline, names.METRIC_UNPRICED) == 0


# --- openai: the stream fails after its usage chunk ------------------------------------------------

CHAT_USAGE = {
    "prompt_tokens": 2006,
    "completion_tokens": 300,
    "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920},
    "completion_tokens_details": {"reasoning_tokens": 0},
}
CHAT_COST = ((2006 - 1920) * 0.15 + 1920 * 0.075 + 300 * 0.60) / M


@pytest.mark.parametrize(("cut_after", "counted"), [(5, True), (3, False)])
def test_openai_stream_cut_after_or_before_its_usage_chunk(
    mock_openai: MockProvider,
    instrumented: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
    cut_after: int,
    counted: bool,
) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    # The role chunk, two text chunks, the finish chunk, the usage chunk, [DONE]: cut at 5 drops only [DONE].
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, stream=True,
        extra_body={"mock": {"usage": CHAT_USAGE, "chunks": 2, "cut_after": cut_after}},
    )  # fmt: skip
    with pytest.raises(openai.APIConnectionError):  # the SDK wraps the broken read
        for _ in stream:
            pass
    if counted:
        assert_failed_with_usage(
            instrumented, "openai.APIConnectionError", tokens(input=2006, output=300, cache_read=1920), CHAT_COST
        )
        return
    span = only_span(instrumented)
    assert span.attributes[names.ERROR_TYPE] == "openai.APIConnectionError"
    assert names.USAGE_COST not in span.attributes and names.UNPRICED_REASON not in span.attributes
    assert counter(instrumented, names.METRIC_COST) == 0 and counter(instrumented, names.METRIC_UNPRICED) == 0


# --- google-genai: automatic function calling whose second request fails ----------------------------

FIRST_REQUEST_USAGE = {"promptTokenCount": 1200, "candidatesTokenCount": 10, "thoughtsTokenCount": 50,
                       "cachedContentTokenCount": 1024, "totalTokenCount": 1260}  # fmt: skip
FIRST_REQUEST_COST = ((1200 - 1024) * 0.30 + 1024 * 0.03 + 60 * 2.50) / M
FIRST_REQUEST_TOKENS = tokens(input=1200, output=60, cache_read=1024, reasoning=50)
TOOL_CALLS: list[str] = []


def get_weather(city: str) -> str:
    """The weather in a city."""
    TOOL_CALLS.append(city)
    return f"sunny in {city}"


@pytest.fixture
def gemini(pipeline: Pipeline) -> Iterator[tuple[genai.Client, Pipeline]]:
    instrumentor = GoogleGenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    TOOL_CALLS.clear()
    with MockProvider(flavor="gemini") as mock:
        yield genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=mock.root_url)), pipeline
    instrumentor.uninstrument()


def failing_second_request(**mock: Any) -> types.GenerateContentConfig:
    control = {"usage": [FIRST_REQUEST_USAGE, FIRST_REQUEST_USAGE], "fail_step": 1, "fail_status": 400, **mock}
    return types.GenerateContentConfig(
        http_options=types.HttpOptions(extra_body={"mock": control}), tools=[get_weather]
    )


def test_gemini_function_calling_second_request_fails(gemini: tuple[genai.Client, Pipeline]) -> None:
    client, pipeline = gemini
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model="gemini-2.5-flash", contents="weather?", config=failing_second_request())
    assert TOOL_CALLS == ["mock"]  # the first request succeeded and the SDK ran the tool
    assert_failed_with_usage(pipeline, "400", FIRST_REQUEST_TOKENS, FIRST_REQUEST_COST)


async def test_gemini_async_function_calling_second_request_fails(gemini: tuple[genai.Client, Pipeline]) -> None:
    client, pipeline = gemini
    with pytest.raises(errors.ClientError):
        await client.aio.models.generate_content(
            model="gemini-2.5-flash", contents="weather?", config=failing_second_request()
        )
    assert_failed_with_usage(pipeline, "400", FIRST_REQUEST_TOKENS, FIRST_REQUEST_COST)


def test_gemini_streamed_function_calling_second_request_fails(gemini: tuple[genai.Client, Pipeline]) -> None:
    client, pipeline = gemini
    with pytest.raises(errors.ClientError):
        for _ in client.models.generate_content_stream(
            model="gemini-2.5-flash", contents="weather?", config=failing_second_request()
        ):
            pass
    assert_failed_with_usage(pipeline, "400", FIRST_REQUEST_TOKENS, FIRST_REQUEST_COST)


def test_gemini_first_request_failing_counts_nothing(gemini: tuple[genai.Client, Pipeline]) -> None:
    client, pipeline = gemini
    with pytest.raises(errors.ClientError):
        client.models.generate_content(
            model="gemini-2.5-flash", contents="weather?", config=failing_second_request(fail_step=0)
        )
    span = only_span(pipeline)
    assert span.attributes[names.ERROR_TYPE] == "400"
    assert names.USAGE_COST not in span.attributes and names.UNPRICED_REASON not in span.attributes
    assert counter(pipeline, names.METRIC_COST) == 0 and counter(pipeline, names.METRIC_UNPRICED) == 0
