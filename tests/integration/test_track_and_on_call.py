"""`genai_cost.track()` and `genai_cost.on_call()` with the real openai, anthropic and google-genai SDKs
over real HTTP to the mock provider: every figure handed to the app equals what the spans say."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from google.genai import types
from opentelemetry.sdk.trace import ReadableSpan

import genai_cost
from genai_cost import names
from tests.conftest import Pipeline

USER = [{"role": "user", "content": "What is 10 + 5?"}]
CHAT_USAGE = {
    "prompt_tokens": 2000, "completion_tokens": 300, "total_tokens": 2300,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 100, "audio_tokens": 0},
}  # fmt: skip
ANTHROPIC_USAGE = {
    "input_tokens": 50, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 1400,
    "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 400},
    "output_tokens": 200, "service_tier": "standard",
}  # fmt: skip
GEMINI_USAGE = {
    "promptTokenCount": 5000, "cachedContentTokenCount": 4096, "candidatesTokenCount": 200,
    "thoughtsTokenCount": 800, "totalTokenCount": 6000,
}  # fmt: skip
SPAN_TOKENS = {
    "input_tokens": names.USAGE_INPUT_TOKENS,
    "output_tokens": names.USAGE_OUTPUT_TOKENS,
    "cache_read_tokens": names.USAGE_CACHE_READ_INPUT_TOKENS,
    "cache_write_tokens": names.USAGE_CACHE_WRITE_INPUT_TOKENS,
    "reasoning_tokens": names.USAGE_REASONING_OUTPUT_TOKENS,
}


def mock_body(usage: dict[str, Any]) -> dict[str, Any]:
    return {"mock": {"usage": usage}}


@pytest.fixture
def records() -> Iterator[list[genai_cost.CallRecord]]:
    found: list[genai_cost.CallRecord] = []
    genai_cost.on_call(found.append)
    yield found
    genai_cost.remove_on_call(found.append)


def openai_calls(clients: Any) -> None:
    clients.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=mock_body(CHAT_USAGE))
    stream = clients.openai.chat.completions.create(
        model="gpt-4o-mini", messages=USER, stream=True, extra_body=mock_body(CHAT_USAGE)
    )
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)


def anthropic_calls(clients: Any) -> None:
    clients.anthropic.messages.create(
        model="claude-sonnet-4-5", max_tokens=300, messages=USER, extra_body=mock_body(ANTHROPIC_USAGE)
    )
    with clients.anthropic.messages.stream(model="claude-sonnet-4-5", max_tokens=300, messages=USER) as stream:
        assert "".join(stream.text_stream)


def gemini_calls(clients: Any) -> None:
    forced = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body=mock_body(GEMINI_USAGE)))
    clients.genai.models.generate_content(model="gemini-2.5-flash", contents="hello", config=forced)
    assert list(clients.genai.models.generate_content_stream(model="gemini-2.5-flash", contents="hello there"))


def assert_usage_equals_spans(usage: genai_cost.TrackedUsage, spans: list[ReadableSpan]) -> None:
    cost = 0.0
    for span in spans:  # in the order the calls ended, as the block added them
        cost += span.attributes.get(names.USAGE_COST, 0.0)
    assert usage.cost_usd == cost and cost > 0
    for field, attribute in SPAN_TOKENS.items():
        assert getattr(usage, field) == sum(span.attributes.get(attribute, 0) for span in spans), field
    assert usage.calls == len(spans)
    assert usage.unpriced_calls == sum(names.UNPRICED_REASON in span.attributes for span in spans)
    assert usage.failed_calls == sum(names.ERROR_TYPE in span.attributes for span in spans)
    assert usage.in_flight == 0


def assert_record_equals_span(record: genai_cost.CallRecord, span: ReadableSpan) -> None:
    attributes = span.attributes
    assert record.span_id == format(span.context.span_id, "016x")
    assert record.trace_id == format(span.context.trace_id, "032x")
    assert record.provider == attributes[names.PROVIDER_NAME]
    assert record.operation == attributes[names.OPERATION_NAME]
    assert record.request_model == attributes.get(names.REQUEST_MODEL, "")
    assert record.response_model == attributes.get(names.RESPONSE_MODEL, "")
    assert record.cost_usd == attributes.get(names.USAGE_COST)
    assert record.cost_source == attributes.get(names.COST_SOURCE)
    assert record.unpriced_reason == attributes.get(names.UNPRICED_REASON)
    assert record.error_type == attributes.get(names.ERROR_TYPE)
    for field, attribute in SPAN_TOKENS.items():
        assert getattr(record, field) == attributes.get(attribute, 0), field
    assert record.tokens[names.TOKEN_CACHE_READ] == record.cache_read_tokens
    span_seconds = (span.end_time - span.start_time) / 1e9
    assert 0 < record.duration_s <= span_seconds


@pytest.mark.parametrize("calls", [openai_calls, anthropic_calls, gemini_calls], ids=["openai", "anthropic", "google"])
def test_track_and_on_call_equal_the_spans(
    sdks: Any, pipeline: Pipeline, records: list[genai_cost.CallRecord], calls: Any
) -> None:
    with genai_cost.attributes({"user.id": "alice"}), genai_cost.track() as usage:
        calls(sdks)
    spans = pipeline.finished()
    assert len(spans) == 2 and spans[1].attributes[names.REQUEST_STREAM] is True
    assert_usage_equals_spans(usage, spans)
    assert usage.cache_read_tokens > 0 and usage.output_tokens > 0
    assert len(records) == 2
    for record, span in zip(records, spans, strict=True):
        assert_record_equals_span(record, span)
        assert dict(record.attribution) == {"user.id": "alice"}


def test_unpriced_and_failed_calls_are_counted(sdks: Any, pipeline: Pipeline, records: list[Any]) -> None:
    with genai_cost.track() as usage:
        sdks.openai.chat.completions.create(model="acme-internal-7b", messages=USER)
        with pytest.raises(openai.RateLimitError):
            sdks.openai.chat.completions.create(model="mock-error-429", messages=USER)
    spans = pipeline.finished()
    assert_usage_equals_spans_allow_free(usage, spans)
    assert (usage.calls, usage.unpriced_calls, usage.failed_calls) == (2, 1, 1)
    assert [r.unpriced_reason for r in records] == [names.UNPRICED_UNKNOWN_MODEL, None]
    assert [r.error_type for r in records] == [None, "429"]


def assert_usage_equals_spans_allow_free(usage: genai_cost.TrackedUsage, spans: list[ReadableSpan]) -> None:
    assert usage.cost_usd == sum(span.attributes.get(names.USAGE_COST, 0.0) for span in spans)
    assert usage.input_tokens == sum(span.attributes.get(names.USAGE_INPUT_TOKENS, 0) for span in spans)


def test_blocks_nest(sdks: Any, pipeline: Pipeline) -> None:
    with genai_cost.track() as outer:
        openai_calls(sdks)
        with genai_cost.track() as inner:
            anthropic_calls(sdks)
        gemini_calls(sdks)
    spans = pipeline.finished()
    assert_usage_equals_spans(outer, spans)
    assert_usage_equals_spans(inner, spans[2:4])


def test_a_stream_read_after_its_block_counts_where_it_started(sdks: Any, pipeline: Pipeline) -> None:
    with genai_cost.track() as started_in:
        stream = sdks.openai.chat.completions.create(
            model="gpt-4o-mini", messages=USER, stream=True, extra_body=mock_body(CHAT_USAGE)
        )
    assert (started_in.calls, started_in.in_flight, started_in.cost_usd) == (0, 1, 0.0)
    with genai_cost.track() as read_in:
        for _ in stream:
            pass
    assert_usage_equals_spans(started_in, pipeline.finished())
    assert (read_in.calls, read_in.cost_usd) == (0, 0.0)


def test_threads_each_count_their_own_calls(sdks: Any, pipeline: Pipeline) -> None:
    usages: dict[str, genai_cost.TrackedUsage] = {}

    def work(name: str, model: str) -> None:
        with genai_cost.attributes(worker=name), genai_cost.track() as usage:
            for _ in range(3):
                sdks.openai.chat.completions.create(model=model, messages=USER, extra_body=mock_body(CHAT_USAGE))
        usages[name] = usage

    threads = [threading.Thread(target=work, args=(n, m)) for n, m in (("a", "gpt-4o-mini"), ("b", "gpt-4.1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in ("a", "b"):
        spans = [span for span in pipeline.finished() if span.attributes["worker"] == name]
        assert len(spans) == 3
        assert_usage_equals_spans(usages[name], spans)


async def test_tasks_each_count_their_own_calls_and_inherit_the_block(sdks: Any, pipeline: Pipeline) -> None:
    async def work(name: str) -> genai_cost.TrackedUsage:
        async with genai_cost.track() as usage:
            with genai_cost.attributes(worker=name):
                await sdks.aopenai.chat.completions.create(
                    model="gpt-4o-mini", messages=USER, extra_body=mock_body(CHAT_USAGE)
                )
        return usage

    async with genai_cost.track() as outer:
        a, b = await asyncio.gather(work("a"), work("b"))
    for name, usage in (("a", a), ("b", b)):
        assert_usage_equals_spans(usage, [s for s in pipeline.finished() if s.attributes["worker"] == name])
    assert_usage_equals_spans_allow_free(outer, pipeline.finished())
    assert outer.calls == 2


def test_a_raising_callback_never_reaches_the_call(
    sdks: Any, pipeline: Pipeline, records: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(record: genai_cost.CallRecord) -> None:
        raise RuntimeError("the app's own bug")

    genai_cost.on_call(broken)
    try:
        with caplog.at_level(logging.WARNING, logger="genai_cost"):
            first = sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
            stream = sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
            text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    finally:
        genai_cost.remove_on_call(broken)
    assert first.choices[0].message.content and text
    assert len(records) == 2  # the other callback still hears of both calls
    raised = [r for r in caplog.records if "on_call function" in r.getMessage()]
    assert len(raised) == 1 and "the app's own bug" in caplog.text
    assert all(names.ERROR_TYPE not in span.attributes for span in pipeline.finished())


def test_conversation_id_from_the_responses_api_and_from_attribution(
    sdks: Any, pipeline: Pipeline, records: list[genai_cost.CallRecord]
) -> None:
    sdks.openai.responses.create(model="gpt-4.1", input="hello", conversation={"id": "conv_from_request"})
    with genai_cost.attributes({names.CONVERSATION_ID: "conv_from_app"}):
        sdks.anthropic.messages.create(model="claude-sonnet-4-5", max_tokens=100, messages=USER)
    spans = pipeline.finished()
    assert [span.attributes.get(names.CONVERSATION_ID) for span in spans] == ["conv_from_request", "conv_from_app"]
    assert [record.conversation_id for record in records] == ["conv_from_request", "conv_from_app"]
