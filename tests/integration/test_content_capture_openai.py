"""Prompt and completion content: never by default; with the standard opt-in, semconv JSON on the
span, cut to GENAI_COST_CAPTURE_MAX_LENGTH. Real openai SDK over HTTP to the mock provider."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, env_map, set_env

MOCK_TEXT = "mock reply with a fixed number of plain words for token tests"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 10 + 5?"}]
CONTENT_KEYS = {names.INPUT_MESSAGES, names.OUTPUT_MESSAGES, names.SYSTEM_INSTRUCTIONS, names.CONTENT_TRUNCATED}


@pytest.fixture
def client(mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline) -> Any:
    def make(**env: str) -> openai.OpenAI:
        set_env(monkeypatch, **env_map(mock_openai, "openai"), **env)
        return openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)

    return make


def only_span(pipeline: Pipeline) -> Any:
    [span] = pipeline.finished()
    return span


def test_no_content_without_the_opt_in(client: Any, instrumented: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", raising=False)
    client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = only_span(instrumented).attributes
    assert not CONTENT_KEYS & attrs.keys()
    assert all("10 + 5" not in str(v) and "mock reply" not in str(v) for v in attrs.values())


def test_chat_content_with_span_only(client: Any, instrumented: Pipeline) -> None:
    c = client(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY")
    completion = c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.choices[0].message.content == MOCK_TEXT
    attrs = only_span(instrumented).attributes
    assert json.loads(attrs[names.INPUT_MESSAGES]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is 10 + 5?"}]},
    ]
    assert json.loads(attrs[names.OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT}], "finish_reason": "stop"}
    ]
    assert names.CONTENT_TRUNCATED not in attrs


async def test_async_stream_content(
    mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch, instrumented: Pipeline
) -> None:
    set_env(
        monkeypatch, **env_map(mock_openai, "openai"), OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="span_only"
    )
    c = openai.AsyncOpenAI(base_url=mock_openai.base_url, max_retries=0)
    stream = await c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    assert text == MOCK_TEXT
    attrs = only_span(instrumented).attributes
    assert json.loads(attrs[names.OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT}], "finish_reason": "stop"}
    ]
    assert attrs[names.USAGE_OUTPUT_TOKENS] > 0  # usage still read alongside the text


def test_responses_content_and_truncation(client: Any, instrumented: Pipeline) -> None:
    c = client(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_AND_EVENT", GENAI_COST_CAPTURE_MAX_LENGTH="12")
    c.responses.create(model="gpt-4.1", input="Write one line about costs.", instructions="Rhyme, always.")
    attrs = only_span(instrumented).attributes
    assert json.loads(attrs[names.INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Write one li"}]}
    ]
    assert json.loads(attrs[names.SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Rhyme, alway"}]
    assert json.loads(attrs[names.OUTPUT_MESSAGES]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT[:12]}], "finish_reason": "completed"}
    ]
    assert attrs[names.CONTENT_TRUNCATED] is True


def test_error_call_keeps_its_input_only(client: Any, instrumented: Pipeline) -> None:
    c = client(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY")
    with pytest.raises(openai.BadRequestError):
        c.chat.completions.create(model="mock-error-400", messages=MESSAGES)
    attrs = only_span(instrumented).attributes
    assert attrs[names.ERROR_TYPE] == "400"
    assert names.INPUT_MESSAGES in attrs and names.OUTPUT_MESSAGES not in attrs
