"""The google-genai SDK over real HTTP to the local mock provider, under the real instrumentation.

Gemini Developer API clients use `api_key` + `HttpOptions(base_url=<mock>)`; Vertex AI clients use
`vertexai=True`, a project and location, and static OAuth credentials (`google.oauth2` with a
fixed token: no Google auth is involved) with the same base URL, so they send Vertex's
`/v1beta1/projects/{p}/locations/{l}/publishers/google/models/...` paths. Usage is either forced
through the mock's `extra_body={"mock": {"usage": ...}}` control or follows its documented formula
(genai_cost.mockprovider.gemini_api): prompt = ceil(len(text)/4) + 4 per content, 12 output words,
thinking models (2.5, 3) add 2 thought tokens per word.

Expected costs are hand-written arithmetic on per-million-token prices copied as literals from
genai-prices 0.2.3 (provider "google"; each checked once against genai_prices.calc_price):
gemini-2.5-flash $0.30 in / $0.03 cache read / $2.50 out; gemini-2.0-flash $0.10 / $0.40;
gemini-2.5-pro $1.25 / $0.125 / $10 up to 200,000 input tokens, $2.50 / $0.25 / $15 above;
gemini-embedding-001 $0.15 in.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials
from opentelemetry.trace import SpanKind, StatusCode

from genai_cost import names
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mockprovider import MockProvider
from genai_cost.mockprovider.tokens import WORDS
from tests.conftest import Pipeline
from tests.helpers.calls import close, counter, only_span, tokens_by_type

M = 1_000_000
FLASH_IN, FLASH_CACHED, FLASH_OUT = 0.30, 0.03, 2.50  # gemini-2.5-flash
FLASH20_IN, FLASH20_OUT = 0.10, 0.40  # gemini-2.0-flash
PRO_IN, PRO_CACHED, PRO_OUT = 1.25, 0.125, 10.0  # gemini-2.5-pro, <= 200k input tokens
PRO_LONG_IN, PRO_LONG_OUT = 2.50, 15.0  # gemini-2.5-pro, > 200k input tokens
EMBEDDING_001_IN = 0.15
TWELVE_WORDS = " ".join(WORDS[i % len(WORDS)] for i in range(12))
HELLO = "hello there"  # ceil(11 / 4) + 4 = 7 prompt tokens
HELLO_PROMPT = 7


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = GoogleGenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


@pytest.fixture
def gemini_mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="gemini") as mock:
        yield mock


@pytest.fixture
def vertex_mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="vertex") as mock:
        yield mock


@pytest.fixture
def client(gemini_mock: MockProvider, instrumented: Pipeline) -> genai.Client:
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=gemini_mock.root_url))


@pytest.fixture
def vertex(vertex_mock: MockProvider, instrumented: Pipeline) -> genai.Client:
    return genai.Client(
        vertexai=True,
        project="test-project",
        location="us-central1",
        credentials=Credentials(token="test-token"),
        http_options=types.HttpOptions(base_url=vertex_mock.root_url),
    )


def forced(usage: Any, **config: Any) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"usage": usage}}), **config)


def metadata(prompt: int, candidates: int, thoughts: int = 0, cached: int = 0, tool_use: int = 0) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts + tool_use,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if cached:
        usage["cachedContentTokenCount"] = cached
    if tool_use:
        usage["toolUsePromptTokenCount"] = tool_use
    return usage


def usage_of(span: Any) -> tuple[int, int, int, int]:
    a = span.attributes
    return (
        a[names.USAGE_INPUT_TOKENS],
        a[names.USAGE_OUTPUT_TOKENS],
        a[names.USAGE_CACHE_READ_INPUT_TOKENS],
        a[names.USAGE_REASONING_OUTPUT_TOKENS],
    )


# --- generate_content --------------------------------------------------------------------------


def test_generate_content_span_tokens_cost_and_counters(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline
) -> None:
    usage = metadata(prompt=5000, candidates=200, thoughts=800, cached=4096, tool_use=300)
    response = client.models.generate_content(model="gemini-2.5-flash", contents=HELLO, config=forced(usage))

    assert response.usage_metadata.prompt_token_count == 5000  # the app's response is untouched
    assert response.text == TWELVE_WORDS
    span = only_span(instrumented)
    a = span.attributes
    assert span.name == "generate_content gemini-2.5-flash" and span.kind is SpanKind.CLIENT
    assert a[names.OPERATION_NAME] == "generate_content"
    assert a[names.PROVIDER_NAME] == "gcp.gemini"
    assert a[names.REQUEST_MODEL] == "gemini-2.5-flash"
    assert a[names.RESPONSE_MODEL] == "gemini-2.5-flash"
    assert a[names.RESPONSE_ID] == response.response_id
    assert a[names.RESPONSE_FINISH_REASONS] == ("stop",)
    assert (a[names.SERVER_ADDRESS], a[names.SERVER_PORT]) == ("127.0.0.1", gemini_mock.port)
    # input = prompt (cache included) + tool-use prompt; output = candidates + thoughts.
    assert usage_of(span) == (5300, 1000, 4096, 800)
    assert a[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 0
    expected = ((5300 - 4096) * FLASH_IN + 4096 * FLASH_CACHED + 1000 * FLASH_OUT) / M
    assert close(a[names.USAGE_COST], expected)
    assert close(a[names.CACHE_SAVINGS], 4096 * (FLASH_IN - FLASH_CACHED) / M)
    assert a[names.COST_SOURCE] == "bundled"
    assert a[names.PRICE_ENTRY] == "google/gemini-2.5-flash"

    assert close(counter(instrumented, names.METRIC_COST), expected)
    assert close(counter(instrumented, names.METRIC_COST_SAVINGS), 4096 * (FLASH_IN - FLASH_CACHED) / M)
    assert tokens_by_type(instrumented) == {
        "input": 5300, "output": 1000, "cache_read": 4096, "cache_write": 0, "reasoning": 800,
    }  # fmt: skip
    labels = {frozenset(attrs.items()) for attrs, _ in instrumented.metrics()[names.METRIC_COST]}
    assert labels == {
        frozenset({
            (names.OPERATION_NAME, "generate_content"), (names.PROVIDER_NAME, "gcp.gemini"),
            (names.REQUEST_MODEL, "gemini-2.5-flash"), (names.RESPONSE_MODEL, "gemini-2.5-flash"),
        })
    }  # fmt: skip
    histogram = {a[names.TOKEN_TYPE]: p.sum for a, p in instrumented.metrics()[names.METRIC_TOKEN_USAGE]}
    assert histogram == {"input": 5300, "output": 1000}
    assert counter(instrumented, names.METRIC_UNPRICED) == 0


def test_model_resource_names_are_reduced_to_the_model_id(client: genai.Client, instrumented: Pipeline) -> None:
    client.models.generate_content(model="models/gemini-2.0-flash", contents=HELLO)
    span = only_span(instrumented)
    assert span.name == "generate_content gemini-2.0-flash"
    assert span.attributes[names.REQUEST_MODEL] == "gemini-2.0-flash"


def test_mock_formula_and_implicit_cache(client: genai.Client, instrumented: Pipeline) -> None:
    long_text = "x" * 5000
    first = client.models.generate_content(model="gemini-2.5-flash", contents=long_text)
    second = client.models.generate_content(model="gemini-2.5-flash", contents=long_text)
    prompt = math.ceil(5000 / 4) + 4
    cached = (prompt // 128) * 128
    assert first.usage_metadata.prompt_token_count == second.usage_metadata.prompt_token_count == prompt
    assert second.usage_metadata.cached_content_token_count == cached
    spans = instrumented.finished()
    assert [usage_of(s) for s in spans] == [(prompt, 36, 0, 24), (prompt, 36, cached, 24)]
    assert close(spans[0].attributes[names.USAGE_COST], (prompt * FLASH_IN + 36 * FLASH_OUT) / M)
    expected = ((prompt - cached) * FLASH_IN + cached * FLASH_CACHED + 36 * FLASH_OUT) / M
    assert close(spans[1].attributes[names.USAGE_COST], expected)


async def test_async_generate_content(client: genai.Client, instrumented: Pipeline) -> None:
    response = await client.aio.models.generate_content(model="gemini-2.5-flash", contents=HELLO)
    assert response.usage_metadata.thoughts_token_count == 24
    span = only_span(instrumented)
    assert usage_of(span) == (HELLO_PROMPT, 12 + 24, 0, 24)
    assert close(span.attributes[names.USAGE_COST], (HELLO_PROMPT * FLASH_IN + 36 * FLASH_OUT) / M)


def test_chat_send_message_is_one_call(client: genai.Client, instrumented: Pipeline) -> None:
    chat = client.chats.create(model="gemini-2.0-flash")
    chat.send_message(HELLO)
    span = only_span(instrumented)
    assert usage_of(span) == (HELLO_PROMPT, 12, 0, 0)
    assert close(span.attributes[names.USAGE_COST], (HELLO_PROMPT * FLASH20_IN + 12 * FLASH20_OUT) / M)


# --- streams -----------------------------------------------------------------------------------


def test_stream_records_last_usage_once(client: genai.Client, instrumented: Pipeline) -> None:
    chunks = list(client.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO))
    assert "".join(c.text for c in chunks) == TWELVE_WORDS
    assert len(chunks) == 12  # one word per chunk, each with the running usage
    assert [c.usage_metadata.candidates_token_count for c in chunks] == list(range(1, 13))
    span = only_span(instrumented)
    assert span.attributes[names.REQUEST_STREAM] is True
    assert usage_of(span) == (HELLO_PROMPT, 12, 0, 0)  # the last usage, not the sum of the chunks
    expected = (HELLO_PROMPT * FLASH20_IN + 12 * FLASH20_OUT) / M
    assert close(span.attributes[names.USAGE_COST], expected)
    assert close(counter(instrumented, names.METRIC_COST), expected)


async def test_async_stream(client: genai.Client, instrumented: Pipeline) -> None:
    stream = await client.aio.models.generate_content_stream(model="gemini-2.5-flash", contents=HELLO)
    text = "".join([chunk.text async for chunk in stream])
    assert text == TWELVE_WORDS
    span = only_span(instrumented)
    assert usage_of(span) == (HELLO_PROMPT, 36, 0, 24)
    assert close(span.attributes[names.USAGE_COST], (HELLO_PROMPT * FLASH_IN + 36 * FLASH_OUT) / M)


def _with_refused(stream: Any) -> str:
    with pytest.raises(TypeError) as refused, stream:
        pass
    return str(refused.value)


def test_a_with_block_around_the_stream_fails_as_without_genai_cost(
    client: genai.Client, instrumented: Pipeline
) -> None:
    """The SDK's stream is a generator, not a context manager: `with` fails the same way
    instrumented, and the stream is still read and priced."""
    stream = client.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO)
    assert _with_refused(stream) == _with_refused(chunk for chunk in ())  # what a bare generator says
    assert instrumented.finished() == []
    assert len(list(stream)) > 1
    assert only_span(instrumented).attributes[names.USAGE_INPUT_TOKENS] == HELLO_PROMPT


def test_stream_left_early_is_recorded_once_when_collected(client: genai.Client, instrumented: Pipeline) -> None:
    config = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"chunks": 3}}))
    stream = client.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO, config=config)
    first = next(iter(stream))
    assert first.usage_metadata.candidates_token_count == 4  # 12 words in 3 chunks
    assert instrumented.finished() == []  # still open
    del stream
    gc.collect()
    span = only_span(instrumented)
    # What the app saw is what is recorded: the running usage of the chunks read.
    assert usage_of(span) == (HELLO_PROMPT, 4, 0, 0)
    assert close(span.attributes[names.USAGE_COST], (HELLO_PROMPT * FLASH20_IN + 4 * FLASH20_OUT) / M)
    gc.collect()
    assert len(instrumented.finished()) == 1


def test_stream_closed_early(client: genai.Client, instrumented: Pipeline) -> None:
    config = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"chunks": 2}}))
    stream = client.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO, config=config)
    next(stream)
    stream.close()
    assert usage_of(only_span(instrumented)) == (HELLO_PROMPT, 6, 0, 0)


async def test_async_stream_closed_early(client: genai.Client, instrumented: Pipeline) -> None:
    config = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"chunks": 3}}))
    stream = await client.aio.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO, config=config)
    await stream.__anext__()
    await stream.aclose()
    assert usage_of(only_span(instrumented)) == (HELLO_PROMPT, 4, 0, 0)


# --- embeddings ---------------------------------------------------------------------------------


def test_embed_content(client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline) -> None:
    response = client.models.embed_content(model="gemini-embedding-001", contents=["a" * 40, "b" * 8])
    assert len(response.embeddings) == 2
    assert gemini_mock.requests[-1].path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    span = only_span(instrumented)
    assert span.name == "embeddings gemini-embedding-001"
    assert span.attributes[names.OPERATION_NAME] == "embeddings"
    assert usage_of(span) == (10 + 2, 0, 0, 0)
    assert close(span.attributes[names.USAGE_COST], 12 * EMBEDDING_001_IN / M)


async def test_vertex_async_embed_content(
    vertex: genai.Client, vertex_mock: MockProvider, instrumented: Pipeline
) -> None:
    response = await vertex.aio.models.embed_content(model="gemini-embedding-001", contents="a" * 40)
    assert response.embeddings[0].statistics.token_count == 10
    assert vertex_mock.requests[-1].path.endswith(
        "/projects/test-project/locations/us-central1/publishers/google/models/gemini-embedding-001:embedContent"
    )
    span = only_span(instrumented)
    assert span.attributes[names.PROVIDER_NAME] == "gcp.vertex_ai"
    assert close(span.attributes[names.USAGE_COST], 10 * EMBEDDING_001_IN / M)


# --- Vertex AI ---------------------------------------------------------------------------------


def test_vertex_generate_and_stream(vertex: genai.Client, vertex_mock: MockProvider, instrumented: Pipeline) -> None:
    response = vertex.models.generate_content(model="gemini-2.5-flash", contents=HELLO)
    assert response.usage_metadata.traffic_type == types.TrafficType.ON_DEMAND
    list(vertex.models.generate_content_stream(model="gemini-2.5-flash", contents=HELLO))
    paths = [r.path for r in vertex_mock.requests]
    prefix = "/v1beta1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    assert paths == [f"{prefix}:generateContent", f"{prefix}:streamGenerateContent"]
    assert all("authorization" not in r.headers for r in vertex_mock.requests)  # never logged
    spans = instrumented.finished()
    assert [s.attributes[names.PROVIDER_NAME] for s in spans] == ["gcp.vertex_ai", "gcp.vertex_ai"]
    assert [s.attributes[names.SERVER_PORT] for s in spans] == [vertex_mock.port] * 2
    expected = (HELLO_PROMPT * FLASH_IN + 36 * FLASH_OUT) / M
    assert all(close(s.attributes[names.USAGE_COST], expected) for s in spans)
    assert names.PRICE_TIER not in spans[0].attributes  # ON_DEMAND is the standard tier
    assert close(counter(instrumented, names.METRIC_COST, **{names.PROVIDER_NAME: "gcp.vertex_ai"}), 2 * expected)


def test_vertex_express_mode(vertex_mock: MockProvider, instrumented: Pipeline) -> None:
    """Vertex AI with an API key (express mode): no project in the path, still gcp.vertex_ai."""
    options = types.HttpOptions(base_url=vertex_mock.root_url)
    express = genai.Client(vertexai=True, api_key="test-key", http_options=options)
    express.models.generate_content(model="gemini-2.0-flash", contents=HELLO)
    assert vertex_mock.requests[-1].path == "/v1beta1/publishers/google/models/gemini-2.0-flash:generateContent"
    span = only_span(instrumented)
    assert span.attributes[names.PROVIDER_NAME] == "gcp.vertex_ai"
    assert close(span.attributes[names.USAGE_COST], (HELLO_PROMPT * FLASH20_IN + 12 * FLASH20_OUT) / M)


# --- automatic function calling: several HTTP requests in one SDK call ---------------------------

CALLS: list[str] = []


def get_weather(city: str) -> str:
    """The weather in a city."""
    CALLS.append(city)
    return f"sunny in {city}"


AFC_USAGE = [metadata(prompt=1200, candidates=10, thoughts=50), metadata(prompt=1300, candidates=40, thoughts=60,
                                                                         cached=1024)]  # fmt: skip
AFC_EXPECTED_COST = (
    (1200 * FLASH_IN + 60 * FLASH_OUT) + ((1300 - 1024) * FLASH_IN + 1024 * FLASH_CACHED + 100 * FLASH_OUT)
) / M


def assert_afc_span(pipeline: Pipeline, mock: MockProvider) -> None:
    assert CALLS == ["mock"]  # the SDK ran the tool once, with the mock's argument
    generate = [r for r in mock.requests if "enerateContent" in r.path]
    assert len(generate) == 2  # two HTTP requests ...
    span = only_span(pipeline)  # ... one logical call, one span
    assert usage_of(span) == (1200 + 1300, 60 + 100, 1024, 50 + 60)  # every request's usage, added
    assert close(span.attributes[names.USAGE_COST], AFC_EXPECTED_COST)
    assert close(counter(pipeline, names.METRIC_COST), AFC_EXPECTED_COST)
    assert tokens_by_type(pipeline)["input"] == 2500


@pytest.fixture
def afc_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


def test_automatic_function_calling_prices_every_request(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline, afc_calls: None
) -> None:
    response = client.models.generate_content(
        model="gemini-2.5-flash", contents="weather in Paris?", config=forced(AFC_USAGE, tools=[get_weather])
    )
    # The SDK returns only the last request's usage: 1,200 prompt tokens would be lost without
    # the per-request wrapping.
    assert response.usage_metadata.prompt_token_count == 1300
    assert_afc_span(instrumented, gemini_mock)


async def test_async_automatic_function_calling(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline, afc_calls: None
) -> None:
    await client.aio.models.generate_content(
        model="gemini-2.5-flash", contents="weather in Paris?", config=forced(AFC_USAGE, tools=[get_weather])
    )
    assert_afc_span(instrumented, gemini_mock)


def test_streamed_automatic_function_calling(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline, afc_calls: None
) -> None:
    chunks = list(
        client.models.generate_content_stream(
            model="gemini-2.5-flash", contents="weather in Paris?", config=forced(AFC_USAGE, tools=[get_weather])
        )
    )
    assert chunks[0].function_calls[0].name == "get_weather"
    assert "".join(c.text for c in chunks[1:]) == TWELVE_WORDS
    assert_afc_span(instrumented, gemini_mock)


async def test_async_streamed_automatic_function_calling(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline, afc_calls: None
) -> None:
    stream = await client.aio.models.generate_content_stream(
        model="gemini-2.5-flash", contents="weather in Paris?", config=forced(AFC_USAGE, tools=[get_weather])
    )
    async for _ in stream:
        pass
    assert_afc_span(instrumented, gemini_mock)


# --- automatic continuation: the SDK resumes a cut-off generation with more HTTP requests ----------

HOPS_USAGE = [metadata(prompt=150_000, candidates=100), metadata(prompt=150_000, candidates=900, cached=149_760)]
# Each hop is its own request: each is priced in its own band (150,000 <= 200,000: base rates).
HOPS_COST = ((150_000 * PRO_IN + 100 * PRO_OUT) + ((150_000 - 149_760) * PRO_IN + 149_760 * PRO_CACHED
                                                   + 900 * PRO_OUT)) / M  # fmt: skip


def continued(usage: Any) -> types.GenerateContentConfig:
    mock = {"usage": usage, "continuation": 1}
    return types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": mock}))


def test_automatic_continuation_prices_every_hop(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline
) -> None:
    response = client.models.generate_content(model="gemini-2.5-pro", contents=HELLO, config=continued(HOPS_USAGE))
    hops = [r.body for r in gemini_mock.requests]
    assert len(hops) == 2 and "continuationToken" not in hops[0] and hops[1]["continuationToken"]
    assert response.usage_metadata.prompt_token_count == 300_000  # the SDK merges the hops' usage
    span = only_span(instrumented)
    assert usage_of(span) == (300_000, 1000, 149_760, 0)
    assert close(span.attributes[names.USAGE_COST], HOPS_COST)  # not the > 200k rate of the sum
    assert span.attributes[names.RESPONSE_FINISH_REASONS] == ("stop",)


def test_streamed_automatic_continuation(
    client: genai.Client, gemini_mock: MockProvider, instrumented: Pipeline
) -> None:
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-pro", contents=HELLO,
                                                        config=continued(HOPS_USAGE)))  # fmt: skip
    assert len(gemini_mock.requests) == 2
    assert chunks[-1].usage_metadata.prompt_token_count == 300_000  # the SDK's running total over hops
    span = only_span(instrumented)
    assert usage_of(span) == (300_000, 1000, 149_760, 0)
    assert close(span.attributes[names.USAGE_COST], HOPS_COST)


# --- long-context price tiers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (200_000, (200_000 * PRO_IN + 2000 * PRO_OUT) / M),  # the band's last token
        (250_000, (250_000 * PRO_LONG_IN + 2000 * PRO_LONG_OUT) / M),  # every token at the long-context rate
    ],
)
def test_long_context_tier(client: genai.Client, instrumented: Pipeline, prompt: int, expected: float) -> None:
    usage = metadata(prompt=prompt, candidates=1000, thoughts=1000)
    client.models.generate_content(model="gemini-2.5-pro", contents=HELLO, config=forced(usage))
    assert close(only_span(instrumented).attributes[names.USAGE_COST], expected)


def test_long_context_tier_counts_tool_use_prompt(client: genai.Client, instrumented: Pipeline) -> None:
    usage = metadata(prompt=190_000, candidates=1000, tool_use=20_000)
    client.models.generate_content(model="gemini-2.5-pro", contents=HELLO, config=forced(usage))
    expected = (210_000 * PRO_LONG_IN + 1000 * PRO_LONG_OUT) / M  # 190,000 + 20,000 > 200,000
    assert close(only_span(instrumented).attributes[names.USAGE_COST], expected)


def test_each_function_calling_request_is_priced_in_its_own_band(
    client: genai.Client, instrumented: Pipeline, afc_calls: None
) -> None:
    usage = [metadata(prompt=150_000, candidates=100), metadata(prompt=150_100, candidates=900)]
    client.models.generate_content(
        model="gemini-2.5-pro", contents="weather in Paris?", config=forced(usage, tools=[get_weather])
    )
    span = only_span(instrumented)
    assert usage_of(span) == (300_100, 1000, 0, 0)
    # 300,100 input tokens in one call, but no single request is above 200,000: base rates.
    assert close(span.attributes[names.USAGE_COST], (300_100 * PRO_IN + 1000 * PRO_OUT) / M)


# --- errors and unpriced calls ------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(429, errors.ClientError), (500, errors.ServerError)])
def test_api_error(client: genai.Client, instrumented: Pipeline, status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        client.models.generate_content(model=f"mock-error-{status}", contents=HELLO)
    assert raised.value.code == status
    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == str(status)
    assert names.USAGE_INPUT_TOKENS not in span.attributes and names.USAGE_COST not in span.attributes
    [(attrs, point)] = instrumented.metrics()[names.METRIC_OPERATION_DURATION]
    assert attrs[names.ERROR_TYPE] == str(status) and point.count == 1
    assert names.METRIC_COST not in instrumented.metrics() or counter(instrumented, names.METRIC_COST) == 0


def test_stream_error(client: genai.Client, instrumented: Pipeline) -> None:
    with pytest.raises(errors.ClientError):
        list(client.models.generate_content_stream(model="mock-error-400", contents=HELLO))
    span = only_span(instrumented)
    assert span.attributes[names.ERROR_TYPE] == "400"


def test_no_usage_and_unknown_model_are_unpriced(client: genai.Client, instrumented: Pipeline) -> None:
    client.models.generate_content(model="mock-no-usage", contents=HELLO)
    client.models.generate_content(model="gemini-acme-internal", contents=HELLO)
    spans = instrumented.finished()
    assert [s.attributes[names.UNPRICED_REASON] for s in spans] == ["no_usage", "unknown_model"]
    assert all(names.USAGE_COST not in s.attributes for s in spans)
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: "no_usage"}) == 1
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: "unknown_model"}) == 1


def test_uninstrument_restores_the_sdk(gemini_mock: MockProvider, pipeline: Pipeline) -> None:
    instrumentor = GoogleGenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    instrumentor.uninstrument()
    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=gemini_mock.root_url))
    client.models.generate_content(model="gemini-2.0-flash", contents=HELLO)
    list(client.models.generate_content_stream(model="gemini-2.0-flash", contents=HELLO))
    assert pipeline.finished() == []
    assert not hasattr(genai.models.Models._generate_content, "__wrapped__")
