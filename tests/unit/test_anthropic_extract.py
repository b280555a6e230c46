"""Pure extraction for the anthropic SDK, on the recorded responses of tests/data/realdata_anthropic.jsonl
(as plain dicts and as the SDK's own models) and on hand-made edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from anthropic.types.beta import BetaMessage, BetaRawMessageDeltaEvent, BetaRawMessageStartEvent

from genai_cost.anthropic import extract
from genai_cost.usage import MALFORMED, Usage

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_anthropic.jsonl"
RECORDS = {r["id"]: r for r in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line)}


def body(record_id: str) -> dict[str, Any]:
    return json.loads(RECORDS[record_id]["body"])


def sse_events(record_id: str) -> list[dict[str, Any]]:
    """The data of every event of a recorded SSE body, in order."""
    events = []
    for block in RECORDS[record_id]["body"].replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            events.append(json.loads("".join(data)))
    return events


def streamed(record_id: str) -> extract.MessageStreamAccumulator:
    accumulator = extract.MessageStreamAccumulator()
    for event in sse_events(record_id):
        assert accumulator.add(event) is False  # nothing is ever hidden from the app
    return accumulator


# (input incl. cache, output, cache read, cache write, 1h write, reasoning, web searches) of the top level
NON_STREAM = {
    "anthropic-claude-3.5-sonnet-cache-write": Usage(1167, 187, 0, 1163, 0),
    "anthropic-claude-3.5-sonnet-cache-read": Usage(1167, 202, 1163, 0, 0),
    "anthropic-claude-3.7-sonnet-thinking": Usage(52, 215),
    "anthropic-sonnet-4.5-cache-write-and-read": Usage(1532, 33, 1111, 418, 0),
    "anthropic-sonnet-4.6-compaction-iterations": Usage(229, 5),
    "anthropic-sonnet-5-advisor-iterations-thinking": Usage(2390, 121, reasoning_tokens=28),
    "anthropic-opus-5-thinking-tokens": Usage(13, 44, reasoning_tokens=33),
    "anthropic-sonnet-4-web-search": Usage(8984, 520, web_searches=1),
    "anthropic-sonnet-4-basic": Usage(19, 9),
}
STREAMS = {
    "anthropic-stream-claude-3.5-sonnet-cache-write": Usage(1169, 201, 0, 1165, 0),
    "anthropic-stream-claude-3.5-sonnet-cache-read": Usage(1169, 221, 1165, 0, 0),
    "anthropic-stream-claude-3.7-sonnet-thinking": Usage(52, 216),
    "anthropic-stream-sonnet-4.5-web-search-404k-input": Usage(404500, 943, reasoning_tokens=261, web_searches=10),
    "anthropic-stream-sonnet-4.6-compaction-cache-read": Usage(181, 8),
    "anthropic-stream-sonnet-4.5-thinking-tokens": Usage(50, 93, reasoning_tokens=53),
    "anthropic-stream-sonnet-4-basic": Usage(19, 9),
}


@pytest.mark.parametrize("record_id", sorted(NON_STREAM))
def test_recorded_message_usage(record_id: str) -> None:
    outcome = extract.message_outcome(body(record_id))
    assert outcome.usage == NON_STREAM[record_id]
    assert outcome.finish_reasons == ["end_turn"]
    assert outcome.response_id == body(record_id)["id"]


@pytest.mark.parametrize("record_id", sorted(NON_STREAM))
def test_sdk_models_read_the_same(record_id: str) -> None:
    message = BetaMessage.model_validate(body(record_id))
    dict_outcome, model_outcome = extract.message_outcome(body(record_id)), extract.message_outcome(message)
    assert model_outcome.usage == dict_outcome.usage
    assert model_outcome.extra_usage == dict_outcome.extra_usage
    assert model_outcome.response_model == body(record_id)["model"]


@pytest.mark.parametrize("record_id", sorted(STREAMS))
def test_recorded_stream_usage(record_id: str) -> None:
    outcome = streamed(record_id).outcome()
    assert outcome.usage == STREAMS[record_id]
    assert outcome.finish_reasons and outcome.finish_reasons[0] in ("end_turn", "pause_turn")


def test_sdk_stream_events_read_the_same() -> None:
    record_id = "anthropic-stream-sonnet-4.6-compaction-cache-read"
    accumulator = extract.MessageStreamAccumulator()
    for event in sse_events(record_id):
        if event["type"] in ("message_start", "message_delta"):
            accumulator.add(_beta_event(event))
    assert accumulator.outcome().usage == STREAMS[record_id]
    assert accumulator.outcome().extra_usage == streamed(record_id).outcome().extra_usage


def _beta_event(event: dict[str, Any]) -> Any:
    model = BetaRawMessageStartEvent if event["type"] == "message_start" else BetaRawMessageDeltaEvent
    return model.model_validate(event)


def test_compaction_iteration_is_extra_usage() -> None:
    [(model, usage)] = extract.message_outcome(body("anthropic-sonnet-4.6-compaction-iterations")).extra_usage
    assert model is None  # the call's own model ran the compaction
    assert usage == Usage(100 + 55096, 131, 0, 55096, 0)


def test_advisor_iteration_is_extra_usage_at_its_own_model() -> None:
    [(model, usage)] = extract.message_outcome(body("anthropic-sonnet-5-advisor-iterations-thinking")).extra_usage
    assert model == "claude-opus-4-8"
    assert usage == Usage(2518, 22)


def test_streamed_compaction_iteration_comes_from_the_final_delta() -> None:
    # message_start's 55096 cache read is the compaction step's; the final delta's top level has 0.
    outcome = streamed("anthropic-stream-sonnet-4.6-compaction-cache-read").outcome()
    assert outcome.usage.cache_read_tokens == 0
    assert outcome.extra_usage == [(None, Usage(100 + 55096, 83, 55096, 0, 0))]


def test_web_search_stream_bills_the_final_cumulative_input() -> None:
    accumulator = streamed("anthropic-stream-sonnet-4.5-web-search-404k-input")
    start = accumulator.start_usage
    assert start["input_tokens"] == 2479  # message_start: the first sampling step only
    assert accumulator.outcome().usage.input_tokens == 404500


def test_deltas_are_cumulative_never_summed() -> None:
    accumulator = extract.MessageStreamAccumulator()
    start = {"id": "m", "model": "x", "usage": {"input_tokens": 7, "output_tokens": 1}}
    accumulator.add({"type": "message_start", "message": start})
    accumulator.add({"type": "message_delta", "delta": {"stop_reason": None}, "usage": {"output_tokens": 10}})
    accumulator.add({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 25}})
    outcome = accumulator.outcome()
    assert outcome.usage == Usage(7, 25) and outcome.finish_reasons == ["end_turn"]


def test_stream_cache_split_fitted_to_a_changed_total() -> None:
    start = {
        "input_tokens": 5,
        "cache_creation_input_tokens": 1000,
        "cache_creation": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 400},
        "output_tokens": 1,
    }
    accumulator = extract.MessageStreamAccumulator()
    accumulator.add({"type": "message_start", "message": {"usage": start}})
    accumulator.add({"type": "message_delta", "usage": {"output_tokens": 3, "cache_creation_input_tokens": 300}})
    usage = accumulator.outcome().usage
    assert (usage.cache_write_tokens, usage.cache_write_1h_tokens, usage.input_tokens) == (300, 300, 305)


def test_stream_without_events_has_no_usage() -> None:
    assert extract.MessageStreamAccumulator().outcome().usage is None


def test_ttl_split_and_a_malformed_count_makes_the_usage_invalid() -> None:
    usage = extract.message_usage(
        {
            "input_tokens": "12",
            "cache_read_input_tokens": None,
            "cache_creation_input_tokens": 30,
            "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
            "output_tokens": True,  # not a count
        }
    )
    assert (usage.input_tokens, usage.cache_write_tokens, usage.cache_write_1h_tokens) == (42, 30, 20)
    assert usage.cache_write_5m_tokens == 10
    # A count that is not a number is never read as 0 (a silently cheaper call): the usage is invalid.
    assert usage.output_tokens == MALFORMED and not usage.is_consistent()
    assert extract.message_usage(None) is None
    assert extract.message_outcome({"id": "m"}).usage is None


def test_count_tokens_is_not_billable() -> None:
    outcome = extract.count_tokens_outcome(json.loads(RECORDS["anthropic-count-tokens"]["body"]))
    assert outcome.usage == Usage(input_tokens=1114) and outcome.billable is False


def test_batch_results() -> None:
    message = body("anthropic-sonnet-4-basic")
    succeeded = extract.batch_result_outcome({"custom_id": "a", "result": {"type": "succeeded", "message": message}})
    assert succeeded is not None and succeeded.service_tier == "batch" and succeeded.usage == Usage(19, 9)
    assert extract.batch_result_outcome({"custom_id": "b", "result": {"type": "errored", "error": {}}}) is None
    assert extract.batch_result_outcome({"custom_id": "c", "result": {"type": "expired"}}) is None
