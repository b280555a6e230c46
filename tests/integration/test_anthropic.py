"""The anthropic SDK over real HTTP to the local mock provider, under the real instrumentation.

Expected costs are computed by hand from per-million-token prices copied from genai-prices 0.2.3
(prices in force in 2026-11): claude-sonnet-4-5 $3 in / $0.30 cache read / $3.75 5-minute cache
write / $6 1-hour cache write / $15 out, web search $10 per thousand; claude-haiku-4-5 $1 / $5 and,
at the batch rate, $0.50 / $2.50; claude-sonnet-4-6 $3 / $0.30 / $3.75 / $15; claude-opus-4-8 $5 / $25;
Bedrock regional.anthropic.claude-sonnet-4-5 $3.30 / $16.50; Vertex (google) claude-sonnet-4-5 $3 / $15.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from typing import Any

import anthropic
import pydantic
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env
from tests.helpers.calls import close, cost, counter, only_span, tokens_by_type

# The SDK warns about retired model names; recorded and test calls use them on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
M = 1_000_000
SONNET_45 = {"in": 3.0, "read": 0.3, "write_5m": 3.75, "write_1h": 6.0, "out": 15.0}
HAIKU_45 = {"in": 1.0, "out": 5.0}
HAIKU_45_BATCH = {"in": 0.5, "out": 2.5}
WEB_SEARCH = 10.0 / 1000  # USD per search
USER = [{"role": "user", "content": "What is 10 + 5?"}]  # 15 characters: ceil(15/4) + 4 = 8 tokens
USER_TOKENS = 8
MODEL = "claude-sonnet-4-5"


def usage(uncached: int, output: int, read: int = 0, write_5m: int = 0, write_1h: int = 0, **extra: Any) -> dict:
    return {
        "input_tokens": uncached,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write_5m + write_1h,
        "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h},
        "output_tokens": output,
        "service_tier": "standard",
        **extra,
    }


def forced(usage: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"mock": {"usage": usage, **more}}


@pytest.fixture
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic") as provider:
        yield provider


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = AnthropicCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


def sdk_client(mock: MockProvider, pipeline: Pipeline, cls: Any = anthropic.Anthropic, **kwargs: Any) -> Any:
    # The SDK's own spans go to the same tracer provider as ours, so the tests see both or neither.
    return cls(
        base_url=mock.root_url,
        api_key="test-key",
        max_retries=0,
        open_telemetry={"tracer_provider": pipeline.tracer_provider},
        **kwargs,
    )


@pytest.fixture
def client(mock: MockProvider, instrumented: Pipeline) -> anthropic.Anthropic:
    return sdk_client(mock, instrumented)


@pytest.fixture
def aclient(mock: MockProvider, instrumented: Pipeline) -> anthropic.AsyncAnthropic:
    return sdk_client(mock, instrumented, anthropic.AsyncAnthropic)


# --- non-streamed ------------------------------------------------------------------------------


def test_create_cache_writes_5m_and_1h_priced_at_their_rates(
    client: anthropic.Anthropic, instrumented: Pipeline
) -> None:
    forced_usage = usage(uncached=50, output=200, read=3000, write_5m=1000, write_1h=400)
    message = client.messages.create(model=MODEL, max_tokens=100, messages=USER, extra_body=forced(forced_usage))

    assert message.usage.input_tokens == 50  # the app's response is untouched
    span = only_span(instrumented)
    attrs = span.attributes
    assert span.name == f"chat {MODEL}" and span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope.name == names.SCOPE_NAME
    assert attrs[names.PROVIDER_NAME] == "anthropic"
    assert attrs[names.OPERATION_NAME] == "chat"
    assert attrs[names.RESPONSE_MODEL] == MODEL and attrs[names.RESPONSE_ID] == message.id
    assert attrs[names.RESPONSE_FINISH_REASONS] == ("end_turn",)
    assert attrs[names.USAGE_INPUT_TOKENS] == 50 + 3000 + 1400
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == 3000
    assert attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 1400
    assert attrs[names.CACHE_WRITE_5M_TOKENS] == 1000 and attrs[names.CACHE_WRITE_1H_TOKENS] == 400
    assert attrs[names.USAGE_OUTPUT_TOKENS] == 200
    expected = cost(SONNET_45, **{"in": 50, "read": 3000, "write_5m": 1000, "write_1h": 400, "out": 200})
    assert close(attrs[names.USAGE_COST], expected)
    assert close(attrs[names.CACHE_SAVINGS], 3000 * (3.0 - 0.3) / M)
    assert attrs[names.PRICE_ENTRY] == "anthropic/claude-sonnet-4-5"

    assert close(counter(instrumented, names.METRIC_COST), expected)
    assert close(counter(instrumented, names.METRIC_COST_SAVINGS), 3000 * 2.7 / M)
    assert tokens_by_type(instrumented) == {
        "input": 4450,
        "output": 200,
        "cache_read": 3000,
        "cache_write": 1400,
        "reasoning": 0,
    }
    usage_points = {a[names.TOKEN_TYPE]: p.sum for a, p in instrumented.metrics()[names.METRIC_TOKEN_USAGE]}
    assert usage_points == {"input": 4450, "output": 200}


async def test_async_create(aclient: anthropic.AsyncAnthropic, instrumented: Pipeline) -> None:
    forced_usage = usage(uncached=10, output=30, read=2000)
    await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, extra_body=forced(forced_usage))
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == 2010 and attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == 2000
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": 10, "read": 2000, "out": 30}))


def test_mock_formula_prompt_cache_write_then_read(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    system = [{"type": "text", "text": "x" * 4000, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    for _ in range(2):
        client.messages.create(model=MODEL, max_tokens=5, system=system, messages=USER)
    prompt = math.ceil((4000 + 15) / 4) + 4  # the mock's documented formula
    first, second = (s.attributes for s in instrumented.finished())
    assert first[names.USAGE_INPUT_TOKENS] == second[names.USAGE_INPUT_TOKENS] == prompt
    assert first[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == first[names.CACHE_WRITE_1H_TOKENS] == 1000
    assert second[names.USAGE_CACHE_READ_INPUT_TOKENS] == 1000
    assert close(first[names.USAGE_COST], cost(SONNET_45, **{"in": prompt - 1000, "write_1h": 1000, "out": 5}))
    assert close(second[names.USAGE_COST], cost(SONNET_45, **{"in": prompt - 1000, "read": 1000, "out": 5}))


def test_thinking_and_web_search(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    client.messages.create(
        model=MODEL,
        max_tokens=4,
        messages=USER,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}],
    )
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_OUTPUT_TOKENS] == 4 + 8 and attrs[names.USAGE_REASONING_OUTPUT_TOKENS] == 8
    expected = cost(SONNET_45, **{"in": USER_TOKENS, "out": 12}) + WEB_SEARCH
    assert close(attrs[names.USAGE_COST], expected)


def test_parse_structured_output(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    class Answer(pydantic.BaseModel):
        answer: str

    parsed = client.messages.parse(model=MODEL, max_tokens=3, messages=USER, output_format=Answer)
    assert parsed.parsed_output == Answer(answer="mock reply with")
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == USER_TOKENS and attrs[names.USAGE_OUTPUT_TOKENS] == 3
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": USER_TOKENS, "out": 3}))


def test_beta_compaction_iteration_is_billed_on_top(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    iterations = [
        {**usage(uncached=100, output=131, write_5m=55096), "type": "compaction"},
        {**usage(uncached=229, output=5), "type": "message"},
        {**usage(uncached=2000, output=20), "type": "advisor_message", "model": "claude-opus-4-8"},
    ]
    forced_usage = usage(uncached=229, output=5, iterations=iterations)
    client.beta.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=USER, extra_body=forced(forced_usage))
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == 229 + 100 + 55096 + 2000
    assert attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 55096
    assert attrs[names.USAGE_OUTPUT_TOKENS] == 5 + 131 + 20
    sonnet_46 = (229 * 3 + 5 * 15 + 100 * 3 + 55096 * 3.75 + 131 * 15) / M
    opus_48 = (2000 * 5 + 20 * 25) / M
    assert close(attrs[names.USAGE_COST], sonnet_46 + opus_48)
    assert close(counter(instrumented, names.METRIC_COST), sonnet_46 + opus_48)


def test_count_tokens_has_input_tokens_no_cost_and_is_not_unpriced(
    client: anthropic.Anthropic, instrumented: Pipeline
) -> None:
    result = client.messages.count_tokens(model=MODEL, messages=USER)
    assert result.input_tokens == USER_TOKENS
    span = only_span(instrumented)
    assert span.name == f"count_tokens {MODEL}"
    assert span.attributes[names.USAGE_INPUT_TOKENS] == USER_TOKENS
    assert names.USAGE_COST not in span.attributes and names.UNPRICED_REASON not in span.attributes
    metrics = instrumented.metrics()
    assert not metrics.get(names.METRIC_UNPRICED) and not metrics.get(names.METRIC_TOKENS)
    assert not metrics.get(names.METRIC_COST)


def test_error_in_anthropic_shape(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    with pytest.raises(anthropic.RateLimitError) as raised:
        client.messages.create(model=MODEL, max_tokens=5, messages=USER, extra_body={"mock": {"error": 429}})
    assert raised.value.body["error"]["type"] == "rate_limit_error"
    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR and span.attributes[names.ERROR_TYPE] == "429"
    assert names.USAGE_COST not in span.attributes


# --- streams -----------------------------------------------------------------------------------

STREAM_START = usage(uncached=40, output=1, read=2000, write_5m=300)
STREAM_DELTA = {"output_tokens": 57}  # cumulative: the final count, never summed with message_start's 1
STREAM_COST = cost(SONNET_45, **{"in": 40, "read": 2000, "write_5m": 300, "out": 57})


def stream_body() -> dict[str, Any]:
    return {"mock": {"usage": STREAM_START, "delta_usage": STREAM_DELTA, "chunks": 3}}


def assert_stream_span(pipeline: Pipeline) -> None:
    attrs = only_span(pipeline).attributes
    assert attrs[names.REQUEST_STREAM] is True
    assert attrs[names.USAGE_INPUT_TOKENS] == 2340 and attrs[names.USAGE_OUTPUT_TOKENS] == 57
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == 2000 and attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 300
    assert close(attrs[names.USAGE_COST], STREAM_COST)
    assert close(counter(pipeline, names.METRIC_COST), STREAM_COST)


def test_create_stream(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    events = list(
        client.messages.create(model=MODEL, max_tokens=12, messages=USER, stream=True, extra_body=stream_body())
    )
    assert [e.type for e in events][0] == "message_start" and events[-1].type == "message_stop"
    assert_stream_span(instrumented)


def test_stream_helper_text_stream_and_final_message(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    with client.messages.stream(model=MODEL, max_tokens=12, messages=USER, extra_body=stream_body()) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "mock reply with a fixed number of plain words for token tests"
    assert final.usage.output_tokens == 57 and final.usage.input_tokens == 40
    assert_stream_span(instrumented)


async def test_async_stream_and_helper(aclient: anthropic.AsyncAnthropic, instrumented: Pipeline) -> None:
    stream = await aclient.messages.create(
        model=MODEL, max_tokens=12, messages=USER, stream=True, extra_body=stream_body()
    )
    async for _event in stream:
        pass
    assert_stream_span(instrumented)
    instrumented.spans.clear()
    async with aclient.messages.stream(model=MODEL, max_tokens=12, messages=USER, extra_body=stream_body()) as helper:
        final = await helper.get_final_message()
    assert final.usage.output_tokens == 57
    spans = instrumented.finished()
    assert len(spans) == 1 and close(spans[0].attributes[names.USAGE_COST], STREAM_COST)


def test_stream_left_early_is_recorded_once_from_message_start(
    client: anthropic.Anthropic, instrumented: Pipeline
) -> None:
    stream = client.messages.create(model=MODEL, max_tokens=12, messages=USER, stream=True, extra_body=stream_body())
    for event in stream:
        if event.type == "content_block_delta":
            break
    del stream, event
    gc.collect()
    attrs = only_span(instrumented).attributes
    # Only message_start was seen: its input and cache counts, and the 1 output token it reports.
    assert attrs[names.USAGE_INPUT_TOKENS] == 2340 and attrs[names.USAGE_OUTPUT_TOKENS] == 1
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": 40, "read": 2000, "write_5m": 300, "out": 1}))


def test_stream_helper_closed_early(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    with client.messages.stream(model=MODEL, max_tokens=12, messages=USER, extra_body=stream_body()) as stream:
        next(iter(stream))
    assert only_span(instrumented).attributes[names.USAGE_OUTPUT_TOKENS] == 1


def test_stream_final_delta_input_replaces_message_start(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    # As in a server tool loop: the final message_delta reports the cumulative input of every step.
    body = {
        "mock": {
            "usage": usage(uncached=2479, output=6),
            "delta_usage": {
                "input_tokens": 9000,
                "cache_read_input_tokens": 0,
                "cache_creation_input_tokens": 0,
                "output_tokens": 943,
                "output_tokens_details": {"thinking_tokens": 261},
                "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 0},
            },
        }
    }
    for _ in client.messages.create(model=MODEL, max_tokens=12, messages=USER, stream=True, extra_body=body):
        pass
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == 9000 and attrs[names.USAGE_REASONING_OUTPUT_TOKENS] == 261
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": 9000, "out": 943}) + 3 * WEB_SEARCH)


# --- batches -----------------------------------------------------------------------------------


def test_batch_results_priced_at_the_batch_rate(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    requests = [
        {"custom_id": "a", "params": {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": USER}},
        {"custom_id": "b", "params": {"model": "claude-haiku-4-5", "max_tokens": 3, "messages": USER}},
        {"custom_id": "bad", "params": {"model": "", "max_tokens": 3, "messages": USER}},
    ]
    batch = client.messages.batches.create(requests=requests)
    assert instrumented.finished() == []  # creating and retrieving a batch is no GenAI call
    results = list(client.messages.batches.results(batch.id))
    assert [r.result.type for r in results] == ["succeeded", "succeeded", "errored"]
    spans = instrumented.finished()
    assert len(spans) == 2
    expected = [cost(HAIKU_45_BATCH, **{"in": USER_TOKENS, "out": n}) for n in (5, 3)]
    for span, want in zip(spans, expected, strict=True):
        assert span.attributes[names.PRICE_TIER] == "batch"
        assert close(span.attributes[names.USAGE_COST], want)
    assert expected[0] < cost(HAIKU_45, **{"in": USER_TOKENS, "out": 5})  # half the standard price
    assert close(counter(instrumented, names.METRIC_COST), sum(expected))


async def test_async_batch_results(aclient: anthropic.AsyncAnthropic, instrumented: Pipeline) -> None:
    requests = [{"custom_id": "a", "params": {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": USER}}]
    batch = await aclient.messages.batches.create(requests=requests)
    results = [r async for r in await aclient.messages.batches.results(batch.id)]
    assert len(results) == 1
    attrs = only_span(instrumented).attributes
    assert close(attrs[names.USAGE_COST], cost(HAIKU_45_BATCH, **{"in": USER_TOKENS, "out": 5}))


# --- Bedrock and Vertex clients ------------------------------------------------------------------


def test_vertex_client_reports_gcp_vertex_ai(mock: MockProvider, instrumented: Pipeline) -> None:
    client = anthropic.AnthropicVertex(
        base_url=mock.root_url + "/v1", region="us-east5", project_id="p", access_token="t", max_retries=0
    )
    client.messages.create(model="claude-sonnet-4-5@20250929", max_tokens=4, messages=USER)
    attrs = only_span(instrumented).attributes
    assert attrs[names.PROVIDER_NAME] == "gcp.vertex_ai"
    assert attrs[names.PRICE_ENTRY] == "google/claude-sonnet-4-5"
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": USER_TOKENS, "out": 4}))


def test_bedrock_client_reports_aws_bedrock(mock: MockProvider, instrumented: Pipeline) -> None:
    client = anthropic.AnthropicBedrock(
        base_url=mock.root_url, api_key="k", aws_region="us-east-1", max_retries=0, open_telemetry=False
    )
    model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    client.messages.create(model=model, max_tokens=4, messages=USER)
    attrs = only_span(instrumented).attributes
    assert attrs[names.PROVIDER_NAME] == "aws.bedrock" and attrs[names.REQUEST_MODEL] == model
    assert attrs[names.PRICE_ENTRY] == "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert close(attrs[names.USAGE_COST], (USER_TOKENS * 3.3 + 4 * 16.5) / M)


# --- the SDK's own spans -------------------------------------------------------------------------


def test_sdk_spans_off_by_default(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    client.messages.create(model=MODEL, max_tokens=3, messages=USER)
    span = only_span(instrumented)  # the SDK had a tracer provider, yet emitted nothing
    assert span.instrumentation_scope.name == names.SCOPE_NAME


def test_sdk_spans_kept_as_child_without_token_counts(
    mock: MockProvider, instrumented: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, GENAI_COST_ANTHROPIC_SDK_SPANS="child")
    client = sdk_client(mock, instrumented)
    client.messages.create(model=MODEL, max_tokens=3, messages=USER)
    spans = {s.instrumentation_scope.name: s for s in instrumented.finished()}
    assert set(spans) == {names.SCOPE_NAME, "com.anthropic.sdk.python"}
    ours, sdk = spans[names.SCOPE_NAME], spans["com.anthropic.sdk.python"]
    assert sdk.parent is not None and sdk.parent.span_id == ours.context.span_id
    assert sdk.attributes["gen_ai.response.id"] == ours.attributes[names.RESPONSE_ID]
    assert not [k for k in sdk.attributes if k.startswith(("gen_ai.usage.", "anthropic.usage."))]
    assert ours.attributes[names.USAGE_INPUT_TOKENS] == USER_TOKENS
    assert close(counter(instrumented, names.METRIC_COST), cost(SONNET_45, **{"in": USER_TOKENS, "out": 3}))


def test_raw_response_priced_when_parsed(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=3, messages=USER)
    assert raw.http_response.status_code == 200
    message = raw.parse()
    assert message.usage.output_tokens == 3
    attrs = only_span(instrumented).attributes
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": USER_TOKENS, "out": 3}))


def test_streaming_response_stream_priced_when_read(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    with client.messages.with_streaming_response.create(
        model=MODEL, max_tokens=12, messages=USER, stream=True, extra_body=stream_body()
    ) as response:
        assert response.http_response.status_code == 200
        events = [event.type for event in response.parse()]
    assert events[-1] == "message_stop"
    assert_stream_span(instrumented)


def test_raw_response_priced_even_if_never_parsed(client: anthropic.Anthropic, instrumented: Pipeline) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=3, messages=USER)
    assert raw.http_response.json()["usage"]["output_tokens"] == 3
    attrs = only_span(instrumented).attributes
    assert close(attrs[names.USAGE_COST], cost(SONNET_45, **{"in": USER_TOKENS, "out": 3}))


def test_streaming_response_never_parsed_is_unpriced_no_usage(
    client: anthropic.Anthropic, instrumented: Pipeline
) -> None:
    with client.messages.with_streaming_response.create(model=MODEL, max_tokens=3, messages=USER) as response:
        assert response.http_response.status_code == 200
        del response
    gc.collect()
    span = only_span(instrumented)
    assert span.attributes[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: names.UNPRICED_NO_USAGE}) == 1
