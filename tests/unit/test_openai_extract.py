"""Pure extraction on real recorded responses: openai SDK models in, normalised Usage out.

Every record of tests/data/realdata_openai_format.jsonl (recorded from the real APIs, see
tests/data/README.md) is parsed the way the openai SDK parses responses (`construct_type`, lenient,
unknown fields kept as extras) and run through genai_cost.openai.extract with the record's provider.
Streams are fed chunk by chunk / event by event into the stream accumulators.

The expected numbers below were derived by hand from each record's usage object, following
docs/design.md "Token rules": input = ALL input tokens (cached and cache-written included),
output = ALL output tokens (reasoning included; xAI reports reasoning outside completion_tokens,
so its output is completion + reasoning), cache_read / cache_write / reasoning are subsets.
Provider-reported cost: OpenRouter `usage.cost` (USD), xAI `cost_in_usd_ticks` (1 tick = 1e-10 USD).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from openai._models import construct_type
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseCompletedEvent, ResponseStreamEvent

from genai_cost.openai.extract import (
    ChatStreamAccumulator,
    ResponsesStreamAccumulator,
    chat_outcome,
    embeddings_outcome,
    response_outcome,
)
from genai_cost.outcome import Outcome
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_openai_format.jsonl"
RECORDS: dict[str, dict[str, Any]] = {
    record["id"]: record
    for record in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip())
}

# id: (input, output, cache_read, cache_write, reasoning, provider_cost in USD or None)
# `None` instead of a tuple: the response carries no usage at all.
EXPECTED: dict[str, tuple[int, int, int, int, int, float | None] | None] = {
    # --- OpenAI Chat Completions: prompt_tokens includes cached, completion_tokens includes reasoning
    "openai-chat-gpt-4o-mini-prompt-cache-miss": (1149, 315, 0, 0, 0, None),
    "openai-chat-gpt-4o-mini-prompt-cache-hit": (1149, 353, 1024, 0, 0, None),
    "openai-chat-gpt-5-nano-reasoning": (11, 228, 0, 0, 192, None),
    "openai-chat-gpt-5-service-tier-priority": (8, 82, 0, 0, 64, None),
    "openai-chat-gpt-5.6-sol-cache-write": (4020, 4, 0, 4012, 0, None),  # prompt_tokens_details.cache_write_tokens
    "openai-chat-gpt-5.6-sol-cache-read": (4020, 4, 4012, 0, 0, None),
    "openai-chat-o3-mini-reasoning-1792": (577, 2320, 0, 0, 1792, None),
    "openai-chat-gpt-4o-audio-input": (64, 9, 0, 0, 0, None),  # + 44 audio input tokens (EXTRA)
    "openai-chat-gpt-4.1-basic": (23, 6, 0, 0, 0, None),
    "openai-chat-stream-gpt-4o-mini-include-usage": (24, 8, 0, 0, 0, None),  # final chunk, empty choices
    "openai-chat-stream-gpt-4.1-no-usage": None,  # requested without stream_options.include_usage
    "azure-chat-gpt-5-nano-reasoning": (11, 203, 0, 0, 192, None),
    # --- OpenAI Responses: input_tokens includes cached, output_tokens includes reasoning
    "openai-responses-gpt-5-nano-reasoning": (11, 327, 0, 0, 320, None),
    "openai-responses-gpt-5-service-tier-priority": (8, 15, 0, 0, 0, None),
    "openai-responses-gpt-5.6-sol-cache-write": (4020, 5, 0, 4012, 0, None),
    "openai-responses-gpt-5.6-sol-cache-read": (4020, 5, 4012, 0, 0, None),
    "openai-responses-gpt-5.6-web-search-cache-write": (8576, 52, 0, 4418, 32, None),
    "openai-responses-gpt-5-web-search-cached-92k": (115886, 1720, 92160, 0, 1472, None),
    "openai-responses-gpt-4.1-basic": (65, 17, 0, 0, 0, None),
    "openai-responses-stream-gpt-5-flex": (53, 469, 0, 0, 448, None),  # response.completed
    "openai-responses-stream-gpt-5-web-search-cached": (9463, 582, 8320, 0, 512, None),
    "openai-responses-stream-gpt-4.1-basic": (13, 9, 0, 0, 0, None),
    # --- Embeddings and legacy Completions
    "openai-embeddings-ada-002": (8, 0, 0, 0, 0, None),
    "openai-completions-gpt-3.5-turbo-instruct": (5, 1, 0, 0, 0, None),
    # --- DeepSeek: prompt_cache_hit_tokens 512 + miss 51 = prompt 563; cached_tokens 512 too
    "deepseek-chat-reasoner-cache-hit": (563, 116, 512, 0, 60, None),
    "deepseek-chat-stream-reasoner": (6, 212, 0, 0, 198, None),
    "deepseek-responses-v4-flash": (366, 63, 256, 0, 18, None),
    # --- Groq: plain counts plus timings; the older stream puts usage under x_groq.usage
    "groq-chat-llama3-8b": (18, 70, 0, 0, 0, None),
    "groq-chat-stream-llama3-8b-x-groq": (18, 73, 0, 0, 0, None),
    "groq-chat-gpt-oss-120b": (178, 94, 0, 0, 0, None),
    # --- OpenRouter: usage.cost in USD wins; cache_write_tokens passed through
    "openrouter-responses-cache-write-cost": (4020, 5, 0, 4012, 0, 0.025265),
    "openrouter-chat-stream-cached-cost": (687, 187, 679, 0, 118, 0.00333825),
    "openrouter-chat-anthropic-cache-write": (2572, 63, 0, 2569, 0, 0.01058775),
    # --- Mistral, Together
    "mistral-chat-tiny": (11, 96, 0, 0, 0, None),
    "together-chat-mixtral": (18, 35, 0, 0, 0, None),
    # --- xAI: completion_tokens EXCLUDES reasoning (832 + 2087 + 619 = total 3538), cost in ticks
    "xai-chat-grok-4.1-fast-reasoning": (832, 2087 + 619, 152, 0, 619, 14966000 / 1e10),
    "xai-chat-grok-3": (686, 2473, 3, 0, 0, 391462500 / 1e10),
}

# Usage fields beyond the table's columns (all others 0).
EXTRA: dict[str, dict[str, int]] = {
    "openai-chat-gpt-4o-audio-input": {"input_audio_tokens": 44},  # prompt_tokens_details.audio_tokens
}

# Web search calls the response reports: tool_usage.web_search.num_requests where present, else the
# number of completed `web_search_call` output items (all of action type "search" here).
WEB_SEARCHES = {
    "openai-responses-gpt-5.6-web-search-cache-write": pytest.param(
        "openai-responses-gpt-5.6-web-search-cache-write", 1, id="openai-responses-gpt-5.6-web-search-cache-write"
    ),
    "openai-responses-gpt-5-web-search-cached-92k": pytest.param(
        "openai-responses-gpt-5-web-search-cached-92k",
        6,
        id="openai-responses-gpt-5-web-search-cached-92k",
    ),
    "openai-responses-stream-gpt-5-web-search-cached": pytest.param(
        "openai-responses-stream-gpt-5-web-search-cached",
        1,
        id="openai-responses-stream-gpt-5-web-search-cached",
    ),
}

# Service tier the provider says it served (priced per tier later); None where the body has none.
SERVICE_TIERS = {
    "openai-chat-gpt-5-service-tier-priority": "priority",
    "openai-responses-gpt-5-service-tier-priority": "priority",
    "openai-responses-stream-gpt-5-flex": "flex",
    "openai-responses-stream-gpt-4.1-basic": "default",  # response.completed says default
    "groq-chat-gpt-oss-120b": "on_demand",
    "azure-chat-gpt-5-nano-reasoning": None,
    "mistral-chat-tiny": None,
}

NON_STREAM_TYPES = {
    "chat.completions": ChatCompletion,
    "responses": Response,
    "embeddings": CreateEmbeddingResponse,
    "completions": Completion,
}
NON_STREAM_OUTCOMES = {
    "chat.completions": chat_outcome,
    "responses": response_outcome,
    "embeddings": embeddings_outcome,
    "completions": chat_outcome,
}


def sse_data(body: str) -> list[str]:
    """The `data` payload of every server-sent event of a recorded stream, `[DONE]` left out."""
    payloads = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if data and "\n".join(data) != "[DONE]":
            payloads.append("\n".join(data))
    return payloads


def stream_items(record: dict[str, Any]) -> list[Any]:
    """The SDK objects the openai SDK yields for a recorded stream."""
    type_ = ResponseStreamEvent if record["api"] == "responses" else ChatCompletionChunk
    return [construct_type(type_=type_, value=json.loads(data)) for data in sse_data(record["body"])]


def parsed_body(record: dict[str, Any]) -> Any:
    return construct_type(type_=NON_STREAM_TYPES[record["api"]], value=json.loads(record["body"]))


def outcome_of(record: dict[str, Any]) -> Outcome:
    provider = PROVIDERS[record["provider"]]
    if not record["request"]["stream"]:
        return NON_STREAM_OUTCOMES[record["api"]](parsed_body(record), provider)
    accumulator: ChatStreamAccumulator | ResponsesStreamAccumulator
    if record["api"] == "responses":
        accumulator = ResponsesStreamAccumulator(provider)
    else:
        accumulator = ChatStreamAccumulator(provider, hide_usage_chunk=False)
    for item in stream_items(record):
        assert accumulator.add(item) is False  # nothing is hidden when the app asked for usage itself
    return accumulator.outcome()


def expected_usage(record_id: str) -> Usage | None:
    row = EXPECTED[record_id]
    if row is None:
        return None
    input_tokens, output_tokens, cache_read, cache_write, reasoning, provider_cost = row
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
        provider_cost=provider_cost,
        **EXTRA.get(record_id, {}),
    )


def without_web_searches(usage: Usage) -> Usage:
    return dataclasses.replace(usage, web_searches=0)  # checked on its own in test_web_search_calls


SUCCESS_IDS = [record_id for record_id, record in RECORDS.items() if record["status"] == 200]
NON_STREAM_IDS = [record_id for record_id in SUCCESS_IDS if not RECORDS[record_id]["request"]["stream"]]
STREAM_IDS = [record_id for record_id in SUCCESS_IDS if RECORDS[record_id]["request"]["stream"]]


def test_the_data_file_holds_the_openai_format_records() -> None:
    assert len(RECORDS) == 39
    assert {r["provider"] for r in RECORDS.values()} == {
        "openai",
        "azure.ai.openai",
        "x_ai",
        "deepseek",
        "groq",
        "openrouter",
        "mistral_ai",
        "together",
    }
    assert {r["api"] for r in RECORDS.values()} == set(NON_STREAM_TYPES)
    assert sorted(rid for rid, r in RECORDS.items() if r["status"] != 200) == [
        "openai-chat-error-400",
        "openai-responses-error-400",
    ]
    assert len(STREAM_IDS) == 8
    assert set(EXPECTED) == set(SUCCESS_IDS)  # every successful record has a hand-derived expectation


@pytest.mark.parametrize("record_id", SUCCESS_IDS)
def test_normalised_usage(record_id: str) -> None:
    outcome = outcome_of(RECORDS[record_id])
    expected = expected_usage(record_id)
    if expected is None:
        assert outcome.usage is None
        return
    assert outcome.usage is not None
    got = without_web_searches(outcome.usage)
    if expected.provider_cost is None:
        assert got.provider_cost is None
    else:
        assert got.provider_cost == pytest.approx(expected.provider_cost, rel=1e-12)
    assert dataclasses.replace(got, provider_cost=None) == dataclasses.replace(expected, provider_cost=None)
    assert outcome.usage.is_consistent()
    assert not outcome.pending


@pytest.mark.parametrize("record_id", NON_STREAM_IDS)
def test_sdk_model_and_outcome_metadata(record_id: str) -> None:
    record = RECORDS[record_id]
    body = json.loads(record["body"])
    parsed = parsed_body(record)
    assert isinstance(parsed, NON_STREAM_TYPES[record["api"]])
    outcome = outcome_of(record)
    assert outcome.response_model == body["model"]
    if record["api"] != "embeddings":
        assert outcome.response_id == body["id"]
    if record["api"] == "responses":
        assert outcome.finish_reasons == [body["status"]] == ["completed"]
    elif record["api"] in ("chat.completions", "completions"):
        assert outcome.finish_reasons == [choice["finish_reason"] for choice in body["choices"]]


@pytest.mark.parametrize("record_id", NON_STREAM_IDS)
def test_plain_dicts_give_the_same_outcome_as_sdk_models(record_id: str) -> None:
    record = RECORDS[record_id]
    provider = PROVIDERS[record["provider"]]
    from_dict = NON_STREAM_OUTCOMES[record["api"]](json.loads(record["body"]), provider)
    assert from_dict == outcome_of(record)


@pytest.mark.parametrize("record_id", SERVICE_TIERS)
def test_served_service_tier(record_id: str) -> None:
    assert outcome_of(RECORDS[record_id]).service_tier == SERVICE_TIERS[record_id]


@pytest.mark.parametrize(("record_id", "searches"), list(WEB_SEARCHES.values()))
def test_web_search_calls(record_id: str, searches: int) -> None:
    outcome = outcome_of(RECORDS[record_id])
    assert outcome.usage is not None
    assert outcome.usage.web_searches == searches


def test_no_web_searches_where_none_were_made() -> None:
    for record_id in SUCCESS_IDS:
        usage = outcome_of(RECORDS[record_id]).usage
        if record_id not in WEB_SEARCHES and usage is not None:
            assert usage.web_searches == 0, record_id


# --- streams, item by item ----------------------------------------------------------------------
STREAM_FACTS = {
    # id: (number of SDK items, response model, response id, finish reasons)
    "openai-chat-stream-gpt-4o-mini-include-usage": (
        11,
        "gpt-4o-mini-2024-07-18",
        "chatcmpl-ChZGrWePAKduzUEk8i6v9utQc14XI",
        ["stop"],
    ),
    "openai-chat-stream-gpt-4.1-no-usage": (
        8,
        "gpt-4.1-2025-04-14",
        "chatcmpl-D8EA5nZ0hOZP7LH1T8J9NNIiYa8n1",
        ["stop"],
    ),
    "deepseek-chat-stream-reasoner": (211, "deepseek-reasoner", "33be18fc-3842-486c-8c29-dd8e578f7f20", ["stop"]),
    "groq-chat-stream-llama3-8b-x-groq": (
        74,
        "llama3-8b-8192",
        "chatcmpl-532a6640-2e18-4a4c-8406-8437a857ce48",
        ["stop"],
    ),
    "openrouter-chat-stream-cached-cost": (73, "x-ai/grok-4", "gen-1762064096-m5VxL2xrxOREwashCey6", ["stop"]),
    "openai-responses-stream-gpt-5-flex": (
        14,
        "gpt-5-2025-08-07",
        "resp_0050471a34b36ae60068c97b94a480819587a9d70cf2979b33",
        ["completed"],
    ),
    "openai-responses-stream-gpt-5-web-search-cached": (
        61,
        "gpt-5-2025-08-07",
        "resp_00a60507bf41223d0068c9d2fbf93481a0ba2a7796ae2cab4c",
        ["completed"],
    ),
    "openai-responses-stream-gpt-4.1-basic": (
        16,
        "gpt-4.1-2025-04-14",
        "resp_079fceed100a827c0068e011e9cefc81969ea6a843546705e6",
        ["completed"],
    ),
}


def test_stream_facts_cover_every_stream() -> None:
    assert set(STREAM_FACTS) == set(STREAM_IDS)


@pytest.mark.parametrize("record_id", STREAM_IDS)
def test_stream_items_parse_and_outcome_metadata(record_id: str) -> None:
    record = RECORDS[record_id]
    items = stream_items(record)
    n_items, model, response_id, finish_reasons = STREAM_FACTS[record_id]
    assert len(items) == n_items
    if record["api"] == "responses":
        assert isinstance(items[-1], ResponseCompletedEvent)
    else:
        assert all(isinstance(item, ChatCompletionChunk) for item in items)
    outcome = outcome_of(record)
    assert (outcome.response_model, outcome.response_id, outcome.finish_reasons) == (model, response_id, finish_reasons)


def test_usage_chunk_is_hidden_only_when_genai_cost_asked_for_it() -> None:
    """The app did not ask for stream usage, we did: the usage-only chunk (empty choices) is hidden."""
    record = RECORDS["openai-chat-stream-gpt-4o-mini-include-usage"]
    accumulator = ChatStreamAccumulator(PROVIDERS["openai"], hide_usage_chunk=True)
    hidden = [accumulator.add(item) for item in stream_items(record)]
    assert hidden == [False] * 10 + [True]
    assert accumulator.outcome().usage == expected_usage(record["id"])


def test_x_groq_usage_chunk_with_choices_is_never_hidden() -> None:
    """Groq's x_groq usage rides on the last content chunk (finish_reason stop): the app must see it."""
    record = RECORDS["groq-chat-stream-llama3-8b-x-groq"]
    accumulator = ChatStreamAccumulator(PROVIDERS["groq"], hide_usage_chunk=True)
    assert not any(accumulator.add(item) for item in stream_items(record))
    assert accumulator.outcome().usage == expected_usage(record["id"])


def test_responses_stream_cut_before_completion_has_no_usage_and_is_not_pending() -> None:
    record = RECORDS["openai-responses-stream-gpt-4.1-basic"]
    accumulator = ResponsesStreamAccumulator(PROVIDERS["openai"])
    for item in stream_items(record)[:-1]:  # everything up to, not including, response.completed
        accumulator.add(item)
    outcome = accumulator.outcome()
    assert outcome.usage is None
    assert outcome.pending is False
    assert outcome.response_model == "gpt-4.1-2025-04-14"  # from response.created


def test_xai_usage_read_with_another_provider_entry_keeps_reasoning_out_of_output() -> None:
    """The provider entry matters: the same xAI body read as plain OpenAI undercounts output."""
    record = RECORDS["xai-chat-grok-4.1-fast-reasoning"]
    as_openai = chat_outcome(parsed_body(record), PROVIDERS["openai"]).usage
    assert as_openai is not None
    assert (as_openai.output_tokens, as_openai.reasoning_tokens, as_openai.provider_cost) == (2087, 619, None)
