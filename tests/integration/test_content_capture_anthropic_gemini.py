"""Prompt and completion content for the anthropic and google-genai SDKs: never by default; with the
standard opt-in, semconv JSON on the span (system prompt, thinking as reasoning parts, tool calls as
parts without arguments), cut to GENAI_COST_CAPTURE_MAX_LENGTH. Real SDKs over HTTP to the mock.

The mock replies with its fixed twelve words (MOCK_TEXT); with thinking enabled (anthropic) it also
thinks 24 words, the same vocabulary twice. The usage of every call is still read beside the text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from google import genai
from google.genai import types

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env

pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
MOCK_TEXT = "mock reply with a fixed number of plain words for token tests"
CONTENT_KEYS = {names.INPUT_MESSAGES, names.OUTPUT_MESSAGES, names.SYSTEM_INSTRUCTIONS, names.CONTENT_TRUNCATED}
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
USER = [{"role": "user", "content": "What is 10 + 5?"}]
TEXT_OUT = [{"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT}], "finish_reason": "stop"}]


def only_span(pipeline: Pipeline) -> Any:
    spans = [s for s in pipeline.finished() if s.instrumentation_scope.name == "genai_cost"]
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def content_of(span: Any) -> dict[str, Any]:
    return {key: json.loads(span.attributes[key]) for key in CONTENT_KEYS - {names.CONTENT_TRUNCATED}
            if key in span.attributes}  # fmt: skip


# --- anthropic ------------------------------------------------------------------------------------


@pytest.fixture
def claude(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any, Pipeline]]:
    """(sync client, async client, pipeline) with content capture on."""
    set_env(monkeypatch, **{CAPTURE: "SPAN_ONLY"})
    instrumentor = AnthropicCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    with MockProvider(flavor="anthropic") as mock:
        common = dict(base_url=mock.root_url, api_key="test-key", max_retries=0)
        yield anthropic.Anthropic(**common), anthropic.AsyncAnthropic(**common), pipeline
    instrumentor.uninstrument()


def test_anthropic_no_content_without_the_opt_in(claude: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, pipeline = claude
    monkeypatch.delenv(CAPTURE)
    set_env(monkeypatch)
    client.messages.create(model="claude-sonnet-4-5", max_tokens=100, system="Be brief.", messages=USER)
    attrs = only_span(pipeline).attributes
    assert not CONTENT_KEYS & attrs.keys()
    assert all("10 + 5" not in str(v) and "mock reply" not in str(v) for v in attrs.values())


def test_anthropic_create_with_system_and_thinking(claude: Any) -> None:
    client, _, pipeline = claude
    message = client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, system=[{"type": "text", "text": "Be brief."}], messages=USER,
        thinking={"type": "enabled", "budget_tokens": 1024},
    )  # fmt: skip
    assert message.content[1].text == MOCK_TEXT
    span = only_span(pipeline)
    assert content_of(span) == {
        names.SYSTEM_INSTRUCTIONS: [{"type": "text", "content": "Be brief."}],
        names.INPUT_MESSAGES: [{"role": "user", "parts": [{"type": "text", "content": "What is 10 + 5?"}]}],
        names.OUTPUT_MESSAGES: [{"role": "assistant", "parts": [
            {"type": "reasoning", "content": f"{MOCK_TEXT} {MOCK_TEXT}"}, {"type": "text", "content": MOCK_TEXT},
        ], "finish_reason": "stop"}],
    }  # fmt: skip
    assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 36  # 12 words + 24 thinking: usage read as well


def test_anthropic_stream_helper_with_tool_history(claude: Any) -> None:
    client, _, pipeline = claude
    history = USER + [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 10}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "secret-15"}]},
    ]
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=100, messages=history) as stream:
        assert "".join(stream.text_stream) == MOCK_TEXT
    span = only_span(pipeline)
    assert content_of(span) == {
        names.INPUT_MESSAGES: [
            {"role": "user", "parts": [{"type": "text", "content": "What is 10 + 5?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call"}]},
            {"role": "user", "parts": [{"type": "tool_call_response"}]},
        ],
        names.OUTPUT_MESSAGES: TEXT_OUT,
    }
    assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 12


async def test_anthropic_async_stream_truncated(claude: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, client, pipeline = claude
    set_env(monkeypatch, GENAI_COST_CAPTURE_MAX_LENGTH="12")
    stream = await client.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, system="Rhyme, always.", messages=USER, stream=True
    )
    async for _ in stream:
        pass
    span = only_span(pipeline)
    assert content_of(span) == {
        names.SYSTEM_INSTRUCTIONS: [{"type": "text", "content": "Rhyme, alway"}],
        names.INPUT_MESSAGES: [{"role": "user", "parts": [{"type": "text", "content": "What is 10 +"}]}],
        names.OUTPUT_MESSAGES: [{"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT[:12]}],
                                 "finish_reason": "stop"}],
    }  # fmt: skip
    assert span.attributes[names.CONTENT_TRUNCATED] is True


def test_anthropic_error_keeps_its_input_only(claude: Any) -> None:
    client, _, pipeline = claude
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="mock-error-400", max_tokens=100, messages=USER)
    attrs = only_span(pipeline).attributes
    assert attrs[names.ERROR_TYPE] == "400"
    assert names.INPUT_MESSAGES in attrs and names.OUTPUT_MESSAGES not in attrs


def test_anthropic_count_tokens_records_no_content(claude: Any) -> None:
    client, _, pipeline = claude
    client.messages.count_tokens(model="claude-sonnet-4-5", messages=USER)
    assert not CONTENT_KEYS & only_span(pipeline).attributes.keys()


# --- google-genai ---------------------------------------------------------------------------------

CALLS: list[str] = []


def get_weather(city: str) -> str:
    """The weather in a city."""
    CALLS.append(city)
    return f"sunny in {city}"


@pytest.fixture
def gemini(pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[genai.Client, Pipeline]]:
    set_env(monkeypatch, **{CAPTURE: "SPAN_ONLY"})
    instrumentor = GoogleGenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    CALLS.clear()
    with MockProvider(flavor="gemini") as mock:
        yield genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=mock.root_url)), pipeline
    instrumentor.uninstrument()


def test_gemini_no_content_without_the_opt_in(gemini: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, pipeline = gemini
    monkeypatch.delenv(CAPTURE)
    set_env(monkeypatch)
    client.models.generate_content(model="gemini-2.0-flash", contents="What is 10 + 5?")
    attrs = only_span(pipeline).attributes
    assert not CONTENT_KEYS & attrs.keys()
    assert all("10 + 5" not in str(v) and "mock reply" not in str(v) for v in attrs.values())


def test_gemini_generate_content_with_system_instruction(gemini: Any) -> None:
    client, pipeline = gemini
    config = types.GenerateContentConfig(system_instruction="Be brief.")
    response = client.models.generate_content(model="gemini-2.0-flash", contents="What is 10 + 5?", config=config)
    assert response.text == MOCK_TEXT
    span = only_span(pipeline)
    assert content_of(span) == {
        names.SYSTEM_INSTRUCTIONS: [{"type": "text", "content": "Be brief."}],
        names.INPUT_MESSAGES: [{"role": "user", "parts": [{"type": "text", "content": "What is 10 + 5?"}]}],
        names.OUTPUT_MESSAGES: TEXT_OUT,
    }
    assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 12


async def test_gemini_async_function_calling(gemini: Any) -> None:
    client, pipeline = gemini
    config = types.GenerateContentConfig(tools=[get_weather])
    response = await client.aio.models.generate_content(model="gemini-2.0-flash", contents="weather?", config=config)
    assert CALLS == ["mock"] and response.text == MOCK_TEXT
    span = only_span(pipeline)
    # The app's contents as input; the final answer as output (the tool round trip happened inside the SDK).
    assert content_of(span) == {
        names.INPUT_MESSAGES: [{"role": "user", "parts": [{"type": "text", "content": "weather?"}]}],
        names.OUTPUT_MESSAGES: TEXT_OUT,
    }


def test_gemini_stream_with_history_and_truncation(gemini: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, pipeline = gemini
    set_env(monkeypatch, GENAI_COST_CAPTURE_MAX_LENGTH="20")
    history = [
        types.Content(role="user", parts=[types.Part(text="weather?")]),
        types.Content(role="model", parts=[types.Part(function_call=types.FunctionCall(name="w", args={"c": "x"}))]),
        types.Content(role="user", parts=[types.Part(function_response=types.FunctionResponse(name="w", response={}))]),
    ]
    config = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"chunks": 4}}))
    text = "".join(c.text for c in client.models.generate_content_stream(
        model="gemini-2.0-flash", contents=history, config=config))  # fmt: skip
    assert text == MOCK_TEXT
    span = only_span(pipeline)
    assert content_of(span) == {
        names.INPUT_MESSAGES: [
            {"role": "user", "parts": [{"type": "text", "content": "weather?"}]},
            {"role": "assistant", "parts": [{"type": "tool_call"}]},
            {"role": "user", "parts": [{"type": "tool_call_response"}]},
        ],
        # The four chunks' text joined into one part, then cut to 20 characters.
        names.OUTPUT_MESSAGES: [{"role": "assistant", "parts": [{"type": "text", "content": MOCK_TEXT[:20]}],
                                 "finish_reason": "stop"}],
    }  # fmt: skip
    assert span.attributes[names.CONTENT_TRUNCATED] is True
    assert span.attributes[names.USAGE_OUTPUT_TOKENS] == 12


async def test_gemini_async_stream(gemini: Any) -> None:
    client, pipeline = gemini
    stream = await client.aio.models.generate_content_stream(model="gemini-2.0-flash", contents=["a", "b"])
    async for _ in stream:
        pass
    assert content_of(only_span(pipeline)) == {
        names.INPUT_MESSAGES: [{"role": "user", "parts": [{"type": "text", "content": "a"},
                                                          {"type": "text", "content": "b"}]}],
        names.OUTPUT_MESSAGES: TEXT_OUT,
    }  # fmt: skip


def test_gemini_embeddings_record_no_content(gemini: Any) -> None:
    client, pipeline = gemini
    client.models.embed_content(model="gemini-embedding-001", contents="What is 10 + 5?")
    assert not CONTENT_KEYS & only_span(pipeline).attributes.keys()
