"""The LiteLLM library over real HTTP to the mock provider, with the openai and anthropic instrumentations
active next to LiteLLM's: every logical call is one span and one set of counter increments.

LiteLLM 1.110 sends chat completions to OpenAI through the openai client's low-level `post` and
embeddings through `embeddings.create` (measured by genai-cost's openai instrumentation, so that call
is nested in LiteLLM's); it speaks to Anthropic over its own HTTP client. A LiteLLM custom provider
that calls the anthropic SDK shows the nested rule with an SDK whose details LiteLLM's result drops.

Expected costs from per-million-token prices copied from genai-prices 0.2.3: openai gpt-4o-mini
$0.15 in / $0.60 out, text-embedding-3-small $0.02 in; anthropic claude-sonnet-4-5 $3 in / $0.30 cache
read / $3.75 5-minute cache write / $15 out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import litellm
import pytest
from litellm.utils import custom_llm_setup

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.litellm import LiteLLMCostInstrumentor
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor
from tests.conftest import Pipeline
from tests.helpers.calls import close, cost, counter, only_span, tokens_by_type

MINI = {"in": 0.15, "out": 0.6}
EMBEDDING_SMALL = {"in": 0.02}
HAIKU_35_BEDROCK = {"in": 0.8, "out": 4.0}  # aws regional.anthropic.claude-3-5-haiku-20241022-v1:0
SONNET_45 = {"in": 3.0, "read": 0.3, "write": 3.75, "out": 15.0}
USER = [{"role": "user", "content": "What is 10 + 5?"}]  # 8 prompt tokens; 12 words out
# 29 characters x 40 = 1160: a 290-token cached prefix; with the question, 298 prompt tokens.
SYSTEM = [{"role": "system", "content": [{"type": "text", "text": "You are a careful assistant. " * 40,
                                          "cache_control": {"type": "ephemeral"}}]}]  # fmt: skip


@pytest.fixture
def mock() -> Iterator[MockProvider]:
    with MockProvider() as provider:
        yield provider


@pytest.fixture
def anthropic_mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic") as provider:
        yield provider


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentors = (LiteLLMCostInstrumentor(), OpenAICostInstrumentor(), AnthropicCostInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    for instrumentor in instrumentors:
        instrumentor.uninstrument()


def openai_call(mock: MockProvider, **kwargs: Any) -> dict[str, Any]:
    return dict(model="openai/gpt-4o-mini", messages=USER, api_base=mock.base_url, api_key="test-key", **kwargs)


def assert_one_call(pipeline: Pipeline, expected_cost: float) -> Any:
    """One span, and the cost, token and duration instruments each recorded once."""
    span = only_span(pipeline)
    assert close(span.attributes[names.USAGE_COST], expected_cost)
    assert close(counter(pipeline, names.METRIC_COST), expected_cost)
    durations = pipeline.metrics()[names.METRIC_OPERATION_DURATION]
    assert sum(point.count for _, point in durations) == 1
    return span


def test_completion_over_openai(mock: MockProvider, instrumented: Pipeline) -> None:
    response = litellm.completion(**openai_call(mock))
    assert response.usage.prompt_tokens == 8

    span = assert_one_call(instrumented, cost(MINI, **{"in": 8, "out": 12}))
    assert span.name == "chat gpt-4o-mini"  # the model LiteLLM resolved, without its provider prefix
    assert span.attributes[names.PROVIDER_NAME] == "openai"
    assert span.attributes[names.SERVER_PORT] == mock.port
    assert tokens_by_type(instrumented) == {"input": 8, "output": 12, "cache_read": 0, "cache_write": 0, "reasoning": 0}


def test_embedding_through_the_openai_sdk_is_one_call(mock: MockProvider, instrumented: Pipeline) -> None:
    litellm.embedding(model="openai/text-embedding-3-small", input=["owls at night"], api_base=mock.base_url,
                      api_key="test-key")  # fmt: skip  # 13 characters: 4 tokens
    assert [r.path for r in mock.requests] == ["/v1/embeddings"]  # sent by the openai SDK's embeddings.create

    span = assert_one_call(instrumented, cost(EMBEDDING_SMALL, **{"in": 4}))
    assert span.name == "embeddings text-embedding-3-small"
    assert tokens_by_type(instrumented)["input"] == 4


def test_stream_usage_asked_for_and_hidden(mock: MockProvider, instrumented: Pipeline) -> None:
    chunks = list(litellm.completion(**openai_call(mock, stream=True)))
    assert mock.requests[0].body["stream_options"] == {"include_usage": True}
    assert all(chunk.choices for chunk in chunks)  # the app did not ask: no usage-only chunk reaches it
    assert len("".join(c.choices[0].delta.content or "" for c in chunks).split()) == 12

    span = assert_one_call(instrumented, cost(MINI, **{"in": 8, "out": 12}))
    assert span.attributes[names.REQUEST_STREAM] is True


def test_stream_usage_the_app_asked_for_reaches_it(mock: MockProvider, instrumented: Pipeline) -> None:
    chunks = list(litellm.completion(**openai_call(mock, stream=True, stream_options={"include_usage": True})))
    assert chunks[-1].usage.prompt_tokens == 8
    assert_one_call(instrumented, cost(MINI, **{"in": 8, "out": 12}))


async def test_acompletion_and_its_stream(mock: MockProvider, instrumented: Pipeline) -> None:
    await litellm.acompletion(**openai_call(mock))
    stream = await litellm.acompletion(**openai_call(mock, stream=True))
    async for _ in stream:
        pass

    spans = instrumented.finished()
    assert len(spans) == 2
    one = cost(MINI, **{"in": 8, "out": 12})
    assert all(close(span.attributes[names.USAGE_COST], one) for span in spans)
    assert close(counter(instrumented, names.METRIC_COST), 2 * one)


def test_anthropic_provider_cache_write_then_read(anthropic_mock: MockProvider, instrumented: Pipeline) -> None:
    call = dict(model="anthropic/claude-sonnet-4-5", messages=SYSTEM + USER, api_base=anthropic_mock.root_url,
                api_key="test-key", max_tokens=5)  # fmt: skip
    litellm.completion(**call)
    list(litellm.completion(**call, stream=True))

    write, read = instrumented.finished()
    assert write.attributes[names.PROVIDER_NAME] == "anthropic"
    assert write.attributes[names.USAGE_INPUT_TOKENS] == 298 and write.attributes[names.USAGE_OUTPUT_TOKENS] == 5
    assert write.attributes[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 290
    assert read.attributes[names.USAGE_CACHE_READ_INPUT_TOKENS] == 290
    write_cost = cost(SONNET_45, **{"in": 8, "write": 290, "out": 5})
    read_cost = cost(SONNET_45, **{"in": 8, "read": 290, "out": 5})
    assert close(write.attributes[names.USAGE_COST], write_cost)
    assert close(read.attributes[names.USAGE_COST], read_cost)
    assert close(counter(instrumented, names.METRIC_COST), write_cost + read_cost)


@pytest.mark.parametrize("route", ["", "converse/"])
def test_bedrock_inference_profile_is_priced(route: str, instrumented: Pipeline) -> None:
    profile = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    with MockProvider(flavor="bedrock") as bedrock:
        litellm.completion(model=f"bedrock/{route}{profile}", messages=USER, aws_access_key_id="test-key-id",
                           aws_secret_access_key="test-secret", aws_region_name="us-east-1",
                           aws_bedrock_runtime_endpoint=bedrock.root_url)  # fmt: skip

    span = assert_one_call(instrumented, cost(HAIKU_35_BEDROCK, **{"in": 8, "out": 12}))
    assert span.attributes[names.PROVIDER_NAME] == "aws.bedrock"
    assert span.attributes[names.REQUEST_MODEL] == profile
    assert span.attributes[names.PRICE_ENTRY] == "aws/regional.anthropic.claude-3-5-haiku-20241022-v1:0"


class AnthropicSdkProvider(litellm.CustomLLM):
    """A LiteLLM custom provider that calls the anthropic SDK and, as such handlers often do, reports
    plain prompt and completion counts only (no cache split)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.client = anthropic.Anthropic(base_url=base_url, api_key="test-key", max_retries=0)

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
        system = messages[0]["content"]
        message = self.client.messages.create(model=model, max_tokens=5, system=system, messages=messages[1:])
        usage = message.usage
        prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
        return litellm.ModelResponse(
            model=model,
            choices=[{"message": {"role": "assistant", "content": message.content[0].text}}],
            usage={"prompt_tokens": prompt, "completion_tokens": usage.output_tokens},
        )


def test_custom_provider_over_the_anthropic_sdk_keeps_its_cache_tokens(
    anthropic_mock: MockProvider, instrumented: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = AnthropicSdkProvider(anthropic_mock.root_url)
    monkeypatch.setattr(litellm, "custom_provider_map", [{"provider": "sdk-claude", "custom_handler": handler}])
    custom_llm_setup()
    litellm.completion(model="sdk-claude/claude-sonnet-4-5", messages=SYSTEM + USER)

    span = only_span(instrumented)  # LiteLLM's call; the anthropic SDK's is part of it
    assert span.attributes[names.PROVIDER_NAME] == "sdk-claude"  # LiteLLM's provider: not priced
    assert span.attributes[names.UNPRICED_REASON] == names.UNPRICED_UNKNOWN_MODEL
    # The handler reported 298 in, 5 out; the SDK call it made adds the 290 written to the cache.
    assert span.attributes[names.USAGE_INPUT_TOKENS] == 298
    assert span.attributes[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == 290
    assert tokens_by_type(instrumented) == {"input": 298, "output": 5, "cache_read": 0, "cache_write": 290,
                                            "reasoning": 0}  # fmt: skip
    assert counter(instrumented, names.METRIC_UNPRICED) == 1
