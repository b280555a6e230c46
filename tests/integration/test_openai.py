"""The openai SDK over real HTTP to the local mock provider, under the real instrumentation.

Expected costs are computed by hand from per-million-token prices (genai-prices 0.2.3 data):
gpt-4o-mini $0.15 in / $0.075 cached / $0.60 out; gpt-4.1 $2 / $0.50 / $8;
text-embedding-3-small $0.02 in; gpt-3.5-turbo-instruct $1.50 / $2;
grok-4-1-fast-reasoning $0.20 / $0.05 cached / $0.50 out.
"""

from __future__ import annotations

import asyncio
import gc
import math
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, env_map, set_env

M = 1_000_000
GPT_4O_MINI = (0.15, 0.075, 0.60)
GPT_41 = (2.0, 0.5, 8.0)
GROK_41_FAST = (0.20, 0.05, 0.50)


def expected_cost(prices: tuple[float, float, float], input_tokens: int, cached: int, output: int) -> float:
    rate_in, rate_cached, rate_out = prices
    return ((input_tokens - cached) * rate_in + cached * rate_cached + output * rate_out) / M


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def chat_usage(prompt: int, completion: int, cached: int = 0, reasoning: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
        **extra,
    }


def forced(usage: dict[str, Any]) -> dict[str, Any]:
    return {"mock": {"usage": usage}}


USER = [{"role": "user", "content": "What is 10 + 5?"}]


@pytest.fixture
def client(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> openai.OpenAI:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    return openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)


def only_span(pipeline: Pipeline) -> Any:
    spans = pipeline.finished()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def counter(pipeline: Pipeline, name: str, **labels: str) -> float:
    return sum(
        value for attrs, value in pipeline.metrics().get(name, []) if all(attrs.get(k) == v for k, v in labels.items())
    )


# --- non-streamed calls ----------------------------------------------------------------------


def test_sync_chat_span_tokens_cost_and_counters(client: openai.OpenAI, instrumented: Pipeline) -> None:
    usage = chat_usage(2006, 300, cached=1920)
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(usage))

    assert completion.usage.prompt_tokens == 2006  # the app's response is untouched
    span = only_span(instrumented)
    attrs = span.attributes
    assert span.name == "chat gpt-4o-mini" and span.kind is SpanKind.CLIENT
    assert attrs[names.PROVIDER_NAME] == "openai"
    assert attrs[names.OPERATION_NAME] == "chat"
    assert attrs[names.REQUEST_MODEL] == "gpt-4o-mini"
    assert attrs[names.RESPONSE_MODEL] == completion.model
    assert attrs[names.RESPONSE_ID] == completion.id
    assert attrs[names.RESPONSE_FINISH_REASONS] == ("stop",)
    assert attrs[names.SERVER_ADDRESS] == "127.0.0.1"
    assert attrs[names.USAGE_INPUT_TOKENS] == 2006
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == 1920
    assert attrs[names.USAGE_OUTPUT_TOKENS] == 300
    expected = expected_cost(GPT_4O_MINI, 2006, 1920, 300)
    assert close(attrs[names.USAGE_COST], expected)
    assert close(attrs[names.CACHE_SAVINGS], 1920 * (0.15 - 0.075) / M)
    assert attrs[names.COST_SOURCE] == "bundled"
    assert attrs[names.PRICE_ENTRY] == "openai/gpt-4o-mini"

    assert close(counter(instrumented, names.METRIC_COST), expected)
    tokens = {a[names.TOKEN_TYPE]: v for a, v in instrumented.metrics()[names.METRIC_TOKENS]}
    assert tokens == {"input": 2006, "output": 300, "cache_read": 1920, "cache_write": 0, "reasoning": 0}
    labels = {k for a, _ in instrumented.metrics()[names.METRIC_COST] for k in a}
    assert labels == {names.OPERATION_NAME, names.PROVIDER_NAME, names.REQUEST_MODEL, names.RESPONSE_MODEL}
    usage_points = {a[names.TOKEN_TYPE]: p.sum for a, p in instrumented.metrics()[names.METRIC_TOKEN_USAGE]}
    assert usage_points == {"input": 2006, "output": 300}
    [(duration_attrs, duration)] = instrumented.metrics()[names.METRIC_OPERATION_DURATION]
    assert duration.count == 1 and names.ERROR_TYPE not in duration_attrs


async def test_async_chat(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    client = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)
    usage = chat_usage(1500, 40, cached=1024)
    await client.chat.completions.create(model="gpt-4.1", messages=USER, extra_body=forced(usage))
    attrs = only_span(instrumented).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == 1500 and attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == 1024
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_41, 1500, 1024, 40))


def test_mock_usage_formula_and_prompt_cache(client: openai.OpenAI, instrumented: Pipeline) -> None:
    long_prompt = [{"role": "system", "content": "x" * 5000}, *USER]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=long_prompt)
    second = client.chat.completions.create(model="gpt-4o-mini", messages=long_prompt)
    prompt = math.ceil((5000 + len(USER[0]["content"])) / 4) + 8  # the mock's documented formula
    assert first.usage.prompt_tokens == second.usage.prompt_tokens == prompt
    cached = (prompt // 128) * 128
    spans = instrumented.finished()
    assert [s.attributes[names.USAGE_CACHE_READ_INPUT_TOKENS] for s in spans] == [0, cached]
    assert close(spans[1].attributes[names.USAGE_COST], expected_cost(GPT_4O_MINI, prompt, cached, 12))


def test_embeddings(client: openai.OpenAI, instrumented: Pipeline) -> None:
    client.embeddings.create(model="text-embedding-3-small", input="a" * 400)
    span = only_span(instrumented)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes[names.USAGE_INPUT_TOKENS] == 100
    assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 0
    assert close(span.attributes[names.USAGE_COST], 100 * 0.02 / M)


def test_legacy_completion(client: openai.OpenAI, instrumented: Pipeline) -> None:
    client.completions.create(model="gpt-3.5-turbo-instruct", prompt="b" * 40)
    span = only_span(instrumented)
    assert span.name == "text_completion gpt-3.5-turbo-instruct"
    assert (span.attributes[names.USAGE_INPUT_TOKENS], span.attributes[names.USAGE_OUTPUT_TOKENS]) == (10, 8)
    assert close(span.attributes[names.USAGE_COST], (10 * 1.5 + 8 * 2.0) / M)


def test_with_raw_response_and_parse(client: openai.OpenAI, instrumented: Pipeline) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=USER, extra_body=forced(chat_usage(100, 10))
    )
    assert raw.parse().usage.prompt_tokens == 100
    client.chat.completions.parse(model="gpt-4o-mini", messages=USER, extra_body=forced(chat_usage(200, 20)))
    costs = [s.attributes[names.USAGE_COST] for s in instrumented.finished()]
    assert len(costs) == 2
    assert close(costs[0], expected_cost(GPT_4O_MINI, 100, 0, 10))
    assert close(costs[1], expected_cost(GPT_4O_MINI, 200, 0, 20))


# --- Responses API ----------------------------------------------------------------------------


def responses_usage(input_tokens: int, cached: int, output: int, reasoning: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output,
    }


def test_responses_create_stream_and_retrieve_count_once(client: openai.OpenAI, instrumented: Pipeline) -> None:
    usage = responses_usage(3000, 2048, 500)
    created = client.responses.create(model="gpt-4.1", input="hello", extra_body=forced(usage))
    with client.responses.stream(model="gpt-4.1", input="hello", extra_body=forced(usage)) as stream:
        events = [event.type for event in stream]
    assert events[-1] == "response.completed"
    client.responses.retrieve(created.id)  # already priced: must not be counted again

    spans = instrumented.finished()
    assert len(spans) == 3
    expected = expected_cost(GPT_41, 3000, 2048, 500)
    assert close(spans[0].attributes[names.USAGE_COST], expected)
    assert close(spans[1].attributes[names.USAGE_COST], expected)
    assert names.USAGE_COST not in spans[2].attributes
    assert close(counter(instrumented, names.METRIC_COST), 2 * expected)
    assert counter(instrumented, names.METRIC_UNPRICED) == 0


# --- chat streams -----------------------------------------------------------------------------


def visible_chunks(client: openai.OpenAI, **kwargs: Any) -> list[dict[str, Any]]:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True, **kwargs)
    return [chunk.model_dump(exclude={"id", "created"}) for chunk in stream]


def test_stream_usage_is_requested_and_the_extra_chunk_hidden(
    mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline
) -> None:
    from genai_cost.openai import OpenAICostInstrumentor

    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    without = visible_chunks(client)
    OpenAICostInstrumentor().instrument(
        tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider
    )
    try:
        with_genai_cost = visible_chunks(client)
    finally:
        OpenAICostInstrumentor().uninstrument()

    assert with_genai_cost == without  # the app iterates exactly the chunks it would have seen
    assert all(chunk["choices"] for chunk in with_genai_cost)
    assert mock_openai.requests[-1].body["stream_options"] == {"include_usage": True}
    attrs = only_span(pipeline).attributes
    assert attrs[names.REQUEST_STREAM] is True
    assert (attrs[names.USAGE_INPUT_TOKENS], attrs[names.USAGE_OUTPUT_TOKENS]) == (8, 12)
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))


def test_stream_where_the_app_asked_for_usage_keeps_its_chunk(client: openai.OpenAI, instrumented: Pipeline) -> None:
    chunks = visible_chunks(client, stream_options={"include_usage": True})
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 8
    assert only_span(instrumented).attributes[names.USAGE_OUTPUT_TOKENS] == 12


def test_stream_helper_records_once(client: openai.OpenAI, instrumented: Pipeline) -> None:
    with client.chat.completions.stream(model="gpt-4o-mini", messages=USER) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content
    attrs = only_span(instrumented).attributes
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))


async def test_async_stream(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    client = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    chunks = [chunk async for chunk in stream]
    assert all(chunk.choices for chunk in chunks)
    assert close(only_span(instrumented).attributes[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))


def assert_one_unpriced_stream(pipeline: Pipeline) -> None:
    attrs = only_span(pipeline).attributes
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
    assert names.USAGE_COST not in attrs
    assert counter(pipeline, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: "no_usage"}) == 1
    assert counter(pipeline, names.METRIC_COST) == 0


def test_stream_broken_out_of(client: openai.OpenAI, instrumented: Pipeline) -> None:
    for _chunk in client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True):
        break
    gc.collect()
    assert_one_unpriced_stream(instrumented)


def test_stream_closed_early(client: openai.OpenAI, instrumented: Pipeline) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    next(iter(stream))
    stream.close()
    assert_one_unpriced_stream(instrumented)
    stream.close()  # closing twice still records once
    assert len(instrumented.finished()) == 1


def test_stream_abandoned_is_recorded_when_collected(client: openai.OpenAI, instrumented: Pipeline) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    next(iter(stream))
    assert instrumented.finished() == []  # still open while the app holds it
    del stream
    gc.collect()
    assert_one_unpriced_stream(instrumented)


def test_stream_usage_request_can_be_turned_off(
    client: openai.OpenAI, mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline
) -> None:
    set_env(monkeypatch, GENAI_COST_STREAM_USAGE="off")
    list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))
    assert "stream_options" not in mock_openai.requests[-1].body
    assert_one_unpriced_stream(instrumented)


def test_unknown_host_gets_no_request_changes_but_extra_hosts_do(
    mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline
) -> None:
    client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
    list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))
    assert "stream_options" not in mock_openai.requests[-1].body
    set_env(monkeypatch, GENAI_COST_STREAM_USAGE_HOSTS=f"127.0.0.1:{mock_openai.port}")
    list(client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True))
    assert mock_openai.requests[-1].body["stream_options"] == {"include_usage": True}
    first, second = instrumented.finished()
    assert first.attributes[names.PROVIDER_NAME] == second.attributes[names.PROVIDER_NAME] == "openai"
    assert first.attributes[names.UNPRICED_REASON] == "no_usage"
    assert close(second.attributes[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))


def test_stream_that_fails_midway_records_the_error(client: openai.OpenAI, instrumented: Pipeline) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    stream.response.close()  # the connection drops under the app
    with pytest.raises(Exception):  # noqa: B017 - whatever the transport raises reaches the app
        list(stream)
    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR and names.USAGE_COST not in span.attributes


# --- OpenAI-compatible providers ------------------------------------------------------------


def test_xai_reasoning_is_billed_on_top_of_completion_tokens(
    monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline
) -> None:
    with MockProvider(flavor="x_ai") as mock:
        set_env(monkeypatch, **env_map(mock, "x_ai"))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        completion = client.chat.completions.create(model="grok-4-1-fast-reasoning", messages=USER)
    assert (
        completion.usage.completion_tokens == 12 and completion.usage.completion_tokens_details.reasoning_tokens == 24
    )
    attrs = only_span(instrumented).attributes
    assert attrs[names.PROVIDER_NAME] == "x_ai"
    assert attrs[names.USAGE_OUTPUT_TOKENS] == 36 and attrs[names.USAGE_REASONING_OUTPUT_TOKENS] == 24
    assert close(attrs[names.USAGE_COST], expected_cost(GROK_41_FAST, 8, 0, 36))
    assert attrs[names.PRICE_ENTRY] == "x-ai/grok-4-1-fast-reasoning"


def test_xai_reported_cost_wins(monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    with MockProvider(flavor="x_ai") as mock:
        set_env(monkeypatch, **env_map(mock, "x_ai"))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        usage = chat_usage(832, 2087, cached=152, reasoning=619, cost_in_usd_ticks=14966000)
        client.chat.completions.create(model="grok-4-1-fast-reasoning", messages=USER, extra_body=forced(usage))
    attrs = only_span(instrumented).attributes
    assert attrs[names.COST_SOURCE] == "provider"
    assert close(attrs[names.USAGE_COST], 14966000 / 1e10)
    # the bundled price agrees with xAI's own figure for this real response
    assert close(expected_cost(GROK_41_FAST, 832, 152, 2087 + 619), 14966000 / 1e10)


def test_openrouter_reported_cost(monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    with MockProvider(flavor="openrouter") as mock:
        set_env(monkeypatch, **env_map(mock, "openrouter"))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        client.chat.completions.create(model="anthropic/claude-sonnet-4.6", messages=USER)
        list(client.chat.completions.create(model="anthropic/claude-sonnet-4.6", messages=USER, stream=True))
    spans = instrumented.finished()
    assert len(spans) == 2
    for span in spans:
        assert span.attributes[names.PROVIDER_NAME] == "openrouter"
        assert span.attributes[names.COST_SOURCE] == "provider"
        assert span.attributes[names.PRICE_ENTRY] == "openrouter/anthropic/claude-sonnet-4.6"
        assert close(span.attributes[names.USAGE_COST], 8 * 1e-6 + 12 * 2e-6)  # the mock's openrouter formula


def test_local_server_is_unpriced_not_free(monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    with MockProvider() as mock:
        set_env(monkeypatch, **env_map(mock, "vllm"))
        client = openai.OpenAI(base_url=mock.base_url, max_retries=0)
        client.chat.completions.create(model="meta-llama/Llama-3.1-8B-Instruct", messages=USER)
    attrs = only_span(instrumented).attributes
    assert attrs[names.PROVIDER_NAME] == "vllm" and attrs[names.UNPRICED_REASON] == "local_model"
    assert names.USAGE_COST not in attrs and attrs[names.USAGE_INPUT_TOKENS] == 8
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: "local_model"}) == 1


def test_unknown_model_is_unpriced(client: openai.OpenAI, instrumented: Pipeline) -> None:
    client.chat.completions.create(model="acme-internal-7b", messages=USER)
    attrs = only_span(instrumented).attributes
    assert attrs[names.UNPRICED_REASON] == "unknown_model" and names.USAGE_COST not in attrs
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: "unknown_model"}) == 1


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "error", "error_type"),
    [
        ("mock-error-429", openai.RateLimitError, "429"),
        ("mock-error-500", openai.InternalServerError, "500"),
        ("mock-timeout", openai.APITimeoutError, "openai.APITimeoutError"),
    ],
)
def test_errors_reach_the_app_unchanged(
    client: openai.OpenAI, instrumented: Pipeline, model: str, error: type[Exception], error_type: str
) -> None:
    with pytest.raises(error):
        client.chat.completions.create(model=model, messages=USER, timeout=0.5)
    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == error_type
    assert names.USAGE_COST not in span.attributes
    [(attrs, duration)] = instrumented.metrics()[names.METRIC_OPERATION_DURATION]
    assert attrs[names.ERROR_TYPE] == error_type and duration.count == 1
    assert names.METRIC_TOKEN_USAGE not in instrumented.metrics()
    assert counter(instrumented, names.METRIC_COST) == 0


def test_suppressed_instrumentation_records_nothing(client: openai.OpenAI, instrumented: Pipeline) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert instrumented.finished() == []


def test_async_error(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    client = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)
    with pytest.raises(openai.RateLimitError):
        asyncio.run(client.chat.completions.create(model="mock-error-429", messages=USER))
    assert only_span(instrumented).attributes[names.ERROR_TYPE] == "429"


def test_responses_parse_and_async_stream(
    client: openai.OpenAI, mock_openai: MockProvider, instrumented: Pipeline
) -> None:
    usage = responses_usage(400, 0, 50, reasoning=30)
    client.responses.parse(model="gpt-4.1", input="hello", extra_body=forced(usage))

    async def stream_once() -> list[str]:
        async_client = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)
        stream = await async_client.responses.create(model="gpt-4.1", input="hi", stream=True, extra_body=forced(usage))
        return [event.type async for event in stream]

    assert asyncio.run(stream_once())[-1] == "response.completed"
    spans = instrumented.finished()
    assert len(spans) == 2
    for span in spans:
        assert span.attributes[names.USAGE_REASONING_OUTPUT_TOKENS] == 30
        assert close(span.attributes[names.USAGE_COST], expected_cost(GPT_41, 400, 0, 50))


def test_azure_openai(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "azure.ai.openai"))
    client = openai.AzureOpenAI(
        azure_endpoint=mock_openai.root_url, api_version="2024-10-21", api_key="test", max_retries=0
    )
    usage = chat_usage(1000, 100, cached=512)
    client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=forced(usage))
    attrs = only_span(instrumented).attributes
    assert attrs[names.PROVIDER_NAME] == "azure.ai.openai"
    assert attrs[names.PRICE_ENTRY] == "azure/gpt-4o-mini"
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_4O_MINI, 1000, 512, 100))
