"""Raw-response paths of the openai SDK: `with_raw_response` and `with_streaming_response`.

The app gets the SDK's own response wrapper; the call is priced when the app parses it, and a
wrapper never parsed ends its span unpriced (`no_usage`) once it is collected, never as $0.
gpt-4o-mini prices (genai-prices 0.2.3): $0.15 in / $0.075 cached / $0.60 out per million.
"""

from __future__ import annotations

import gc
from typing import Any

import openai
import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, env_map, set_env
from tests.integration.test_openai import GPT_4O_MINI, USER, chat_usage, close, expected_cost, forced, only_span


@pytest.fixture
def client(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> openai.OpenAI:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    return openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)


@pytest.fixture
def aclient(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> openai.AsyncOpenAI:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    return openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)


def sent_stream_options(mock: MockProvider) -> Any:
    (request,) = mock.requests
    return request.body.get("stream_options")


def assert_priced(pipeline: Pipeline, prompt: int, completion: int) -> None:
    attrs = only_span(pipeline).attributes
    assert attrs[names.USAGE_INPUT_TOKENS] == prompt
    assert attrs[names.USAGE_OUTPUT_TOKENS] == completion
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_4O_MINI, prompt, 0, completion))


def assert_unpriced_no_usage(pipeline: Pipeline) -> None:
    attrs = only_span(pipeline).attributes
    assert names.USAGE_COST not in attrs
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE


def test_raw_stream_parsed_by_the_app_is_priced_from_the_usage_it_asked_for(
    client: openai.OpenAI, mock_openai: MockProvider, instrumented: Pipeline
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=forced(chat_usage(120, 12)),
    )
    chunks = list(raw.parse())
    assert chunks[-1].usage is not None and chunks[-1].usage.prompt_tokens == 120  # the app's own chunk, kept
    assert_priced(instrumented, 120, 12)


def test_raw_stream_requests_are_never_changed(
    client: openai.OpenAI, mock_openai: MockProvider, instrumented: Pipeline
) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=USER, stream=True)
    list(raw.parse())
    assert sent_stream_options(mock_openai) is None  # the app reads raw bytes: no injected usage chunk
    assert_unpriced_no_usage(instrumented)


def test_streaming_response_parsed_is_priced(client: openai.OpenAI, instrumented: Pipeline) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=USER, extra_body=forced(chat_usage(300, 30))
    ) as response:
        completion = response.parse()
    assert completion.usage.completion_tokens == 30
    assert_priced(instrumented, 300, 30)


def test_streaming_response_read_as_bytes_ends_unpriced_once_collected(
    client: openai.OpenAI, instrumented: Pipeline
) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=USER, stream=True
    ) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    del response
    gc.collect()
    assert_unpriced_no_usage(instrumented)
    gc.collect()
    assert len(instrumented.finished()) == 1


async def test_async_raw_and_streaming_responses(aclient: openai.AsyncOpenAI, instrumented: Pipeline) -> None:
    raw = await aclient.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=USER, extra_body=forced(chat_usage(100, 10))
    )
    assert raw.parse().usage.prompt_tokens == 100  # with_raw_response parses synchronously, async client too
    async with aclient.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
        extra_body=forced(chat_usage(200, 20)),
    ) as response:
        stream = await response.parse()
        chunks = [chunk async for chunk in stream]
    assert chunks[-1].usage.completion_tokens == 20
    costs = sorted(span.attributes[names.USAGE_COST] for span in instrumented.finished())
    assert len(costs) == 2
    assert close(costs[0], expected_cost(GPT_4O_MINI, 100, 0, 10))
    assert close(costs[1], expected_cost(GPT_4O_MINI, 200, 0, 20))
