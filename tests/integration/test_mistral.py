"""The mistralai SDK over real HTTP to the mock provider (flavor `mistral`), under the real instrumentation.

Expected costs are computed by hand from per-million-token prices copied from genai-prices 0.2.3,
provider `mistral`: mistral-small-latest (since 2026-03-16) $0.15 in / $0.015 cache read / $0.60 out;
mistral-large-2512 $0.50 / $1.50; mistral-embed $0.10 in. Token counts follow the mock's formula
(genai_cost.mockprovider.tokens): "What is 10 + 5?" is ceil(15/4) + 4 = 8 prompt tokens, 12 words out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mistralai.client import Mistral
from mistralai.client.errors import SDKError
from opentelemetry.trace import StatusCode

from genai_cost import names
from genai_cost.mistral import MistralCostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.helpers.calls import close, cost, counter, only_span, tokens_by_type

SMALL = {"in": 0.15, "read": 0.015, "out": 0.6}
LARGE = {"in": 0.5, "out": 1.5}
EMBED = {"in": 0.1}
USER = [{"role": "user", "content": "What is 10 + 5?"}]


@pytest.fixture
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="mistral") as provider:
        yield provider


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = MistralCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


@pytest.fixture
def client(mock: MockProvider, instrumented: Pipeline) -> Mistral:
    return Mistral(api_key="test-key", server_url=mock.root_url)


def usage_of(span: Any) -> tuple[int, int, int]:
    attrs = span.attributes
    return attrs[names.USAGE_INPUT_TOKENS], attrs[names.USAGE_OUTPUT_TOKENS], attrs[names.USAGE_CACHE_READ_INPUT_TOKENS]


def test_complete(client: Mistral, instrumented: Pipeline) -> None:
    response = client.chat.complete(model="mistral-small-latest", messages=USER)
    assert response.usage.prompt_tokens == 8

    span = only_span(instrumented)
    assert span.name == "chat mistral-small-latest"
    assert span.attributes[names.PROVIDER_NAME] == "mistral_ai"
    assert span.attributes[names.PRICE_ENTRY] == "mistral/mistral-small-latest"
    assert usage_of(span) == (8, 12, 0)
    expected = cost(SMALL, **{"in": 8, "out": 12})
    assert close(span.attributes[names.USAGE_COST], expected)
    assert close(counter(instrumented, names.METRIC_COST, **{names.PROVIDER_NAME: "mistral_ai"}), expected)
    assert tokens_by_type(instrumented) == {"input": 8, "output": 12, "cache_read": 0, "cache_write": 0, "reasoning": 0}


def test_repeated_long_prompt_reads_the_cache(client: Mistral, instrumented: Pipeline) -> None:
    long = [{"role": "user", "content": "x" * 4096}]  # 1028 prompt tokens; repeated, 1024 of them cached
    client.chat.complete(model="mistral-small-latest", messages=long)
    client.chat.complete(model="mistral-small-latest", messages=long)

    first, second = instrumented.finished()
    assert usage_of(first) == (1028, 12, 0) and usage_of(second) == (1028, 12, 1024)
    assert close(second.attributes[names.USAGE_COST], cost(SMALL, **{"in": 4, "read": 1024, "out": 12}))
    assert close(second.attributes[names.CACHE_SAVINGS], 1024 * (0.15 - 0.015) / 1e6)


def test_stream_usage_from_the_last_chunk(client: Mistral, instrumented: Pipeline) -> None:
    text = "".join(
        event.data.choices[0].delta.content or ""
        for event in client.chat.stream(model="mistral-large-2512", messages=USER)
        if event.data.choices
    )
    assert len(text.split()) == 12

    span = only_span(instrumented)
    assert span.attributes[names.REQUEST_STREAM] is True
    assert usage_of(span) == (8, 12, 0)
    assert close(span.attributes[names.USAGE_COST], cost(LARGE, **{"in": 8, "out": 12}))


async def test_complete_and_stream_async(client: Mistral, instrumented: Pipeline) -> None:
    await client.chat.complete_async(model="mistral-small-latest", messages=USER)
    stream = await client.chat.stream_async(model="mistral-large-2512", messages=USER)
    async for _ in stream:
        pass

    done, streamed = instrumented.finished()
    assert close(done.attributes[names.USAGE_COST], cost(SMALL, **{"in": 8, "out": 12}))
    assert close(streamed.attributes[names.USAGE_COST], cost(LARGE, **{"in": 8, "out": 12}))
    both = cost(SMALL, **{"in": 8, "out": 12}) + cost(LARGE, **{"in": 8, "out": 12})
    assert close(counter(instrumented, names.METRIC_COST), both)


def test_embeddings(client: Mistral, instrumented: Pipeline) -> None:
    client.embeddings.create(model="mistral-embed", inputs=["owls at night"])  # 13 characters: 4 tokens

    span = only_span(instrumented)
    assert span.name == "embeddings mistral-embed"
    assert span.attributes[names.USAGE_INPUT_TOKENS] == 4
    assert close(span.attributes[names.USAGE_COST], cost(EMBED, **{"in": 4}))


def test_stream_left_early_is_unpriced_no_usage(client: Mistral, instrumented: Pipeline) -> None:
    stream = client.chat.stream(model="mistral-small-latest", messages=USER)
    next(iter(stream))
    stream.close()

    span = only_span(instrumented)
    assert span.attributes[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE


def test_error_reaches_the_app(client: Mistral, instrumented: Pipeline) -> None:
    with pytest.raises(SDKError):
        client.chat.complete(model="mock-error-500", messages=USER)

    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR
    assert names.USAGE_INPUT_TOKENS not in span.attributes
