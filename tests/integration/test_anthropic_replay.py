"""Every recorded Anthropic response, replayed through the real anthropic SDK over real HTTP.

The local MockProvider serves each record of tests/data/realdata_anthropic.jsonl verbatim
(`extra_body={"mock": {"replay": id}}`), the SDK call runs under the real instrumentation, and the
test reads the span and the counters genai-cost produced.

Expected tokens and costs were worked out by hand from each record's usage (Anthropic's input
EXCLUDES cache reads and writes, so input = input + cache read + cache write) and per-million prices
copied as literals from genai-prices 0.2.3 (prices in force in 2026-11):

- claude-3-5-sonnet, claude-3-7-sonnet, claude-sonnet-4-0, claude-sonnet-4-6, claude-sonnet-4-5 up to
  200k input: $3 in / $0.30 cache read / $3.75 5-minute cache write / $15 out;
- claude-sonnet-4-5 above 200k input: $6 / $0.60 / $7.50 / $22.50 out;
- claude-sonnet-5: $2 / $10 out; claude-opus-5 and claude-opus-4-8: $5 / $25 out;
- web search: $10 per thousand searches.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pytest
from opentelemetry.trace import StatusCode

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_anthropic.jsonl"
RECORDS: dict[str, dict[str, Any]] = {
    record["id"]: record
    for record in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip())
}
# The SDK warns about retired model names; recorded and test calls use them on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
M = 1_000_000
SEARCH = 10.0 / 1000


@dataclass(frozen=True)
class Expected:
    input: int  # gen_ai.usage.input_tokens: uncached + cache read + cache write (+ extra iterations)
    output: int
    cost: float
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    response_model: str | None = None


EXPECTED: dict[str, Expected] = {
    # 4 uncached + 1163 written (no TTL split: 5-minute), 187 out
    "anthropic-claude-3.5-sonnet-cache-write": Expected(
        1167, 187, (4 * 3 + 1163 * 3.75 + 187 * 15) / M, cache_write=1163
    ),
    "anthropic-claude-3.5-sonnet-cache-read": Expected(1167, 202, (4 * 3 + 1163 * 0.3 + 202 * 15) / M, cache_read=1163),
    "anthropic-claude-3.7-sonnet-thinking": Expected(52, 215, (52 * 3 + 215 * 15) / M),
    "anthropic-sonnet-4.5-cache-write-and-read": Expected(
        3 + 1111 + 418,
        33,
        (3 * 3 + 1111 * 0.3 + 418 * 3.75 + 33 * 15) / M,
        cache_read=1111,
        cache_write=418,
        response_model="claude-sonnet-4-5-20250929",
    ),
    # usage.iterations: the compaction step (100 in + 55096 written, 131 out) is billed on top of the
    # top-level usage (229 in, 5 out), which is the `message` step alone.
    "anthropic-sonnet-4.6-compaction-iterations": Expected(
        229 + 100 + 55096,
        5 + 131,
        (229 * 3 + 5 * 15 + 100 * 3 + 55096 * 3.75 + 131 * 15) / M,
        cache_write=55096,
    ),
    # usage.iterations: top-level 2390 in / 121 out = the two `message` steps (1128 + 1262, 110 + 11) of
    # claude-sonnet-5; the advisor step (2518 in, 22 out) ran on claude-opus-4-8 and is billed at its rates.
    "anthropic-sonnet-5-advisor-iterations-thinking": Expected(
        2390 + 2518, 121 + 22, (2390 * 2 + 121 * 10) / M + (2518 * 5 + 22 * 25) / M, reasoning=28
    ),
    "anthropic-opus-5-thinking-tokens": Expected(13, 44, (13 * 5 + 44 * 25) / M, reasoning=33),
    "anthropic-sonnet-4-web-search": Expected(
        8984, 520, (8984 * 3 + 520 * 15) / M + 1 * SEARCH, response_model="claude-sonnet-4-20250514"
    ),
    "anthropic-sonnet-4-basic": Expected(19, 9, (19 * 3 + 9 * 15) / M),
    # streams: message_start's counts, then the final message_delta's cumulative ones
    "anthropic-stream-claude-3.5-sonnet-cache-write": Expected(
        1169, 201, (4 * 3 + 1165 * 3.75 + 201 * 15) / M, cache_write=1165
    ),
    "anthropic-stream-claude-3.5-sonnet-cache-read": Expected(
        1169, 221, (4 * 3 + 1165 * 0.3 + 221 * 15) / M, cache_read=1165
    ),
    "anthropic-stream-claude-3.7-sonnet-thinking": Expected(52, 216, (52 * 3 + 216 * 15) / M),
    # The final message_delta says 404500 input tokens where message_start said 2479: the delta's counts
    # are cumulative over the server tool loop (10 web searches), so 404500 is billed, above the 200k tier.
    "anthropic-stream-sonnet-4.5-web-search-404k-input": Expected(
        404500,
        943,
        (404500 * 6 + 943 * 22.5) / M + 10 * SEARCH,
        reasoning=261,
        response_model="claude-sonnet-4-5-20250929",
    ),
    # message_start's cache read (55096) belongs to the compaction step; the final delta's top level
    # (181 in, 0 cached, 8 out) is the message step, and the compaction iteration is billed on top.
    "anthropic-stream-sonnet-4.6-compaction-cache-read": Expected(
        181 + 100 + 55096,
        8 + 83,
        (181 * 3 + 8 * 15 + 100 * 3 + 55096 * 0.3 + 83 * 15) / M,
        cache_read=55096,
    ),
    "anthropic-stream-sonnet-4.5-thinking-tokens": Expected(
        50, 93, (50 * 3 + 93 * 15) / M, reasoning=53, response_model="claude-sonnet-4-5-20250929"
    ),
    "anthropic-stream-sonnet-4-basic": Expected(19, 9, (19 * 3 + 9 * 15) / M),
}
SUCCESSFUL = sorted(EXPECTED)


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic", records_path=DATA) as provider:
        yield provider


@pytest.fixture
def client(mock: MockProvider, pipeline: Pipeline) -> Iterator[anthropic.Anthropic]:
    instrumentor = AnthropicCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield anthropic.Anthropic(base_url=mock.root_url, api_key="test-key", max_retries=0)
    instrumentor.uninstrument()


def replay(client: anthropic.Anthropic, record: dict[str, Any]) -> Any:
    request = record["request"]
    messages = client.beta.messages if request.get("query", {}).get("beta") == "true" else client.messages
    kwargs: dict[str, Any] = {
        "model": request["model"],
        "messages": [{"role": "user", "content": "replayed"}],
        "extra_body": {"mock": {"replay": record["id"]}},
    }
    if record["api"] == "messages.count_tokens":
        return messages.count_tokens(**kwargs)
    kwargs["max_tokens"] = request.get("max_tokens") or 1024
    if request["stream"]:
        return list(messages.create(stream=True, **kwargs))
    return messages.create(**kwargs)


def test_every_anthropic_record_is_covered() -> None:
    assert set(RECORDS) == {*EXPECTED, "anthropic-error-400", "anthropic-count-tokens"}
    assert len(RECORDS) == 18


@pytest.mark.parametrize("record_id", SUCCESSFUL)
def test_replay_tokens_and_cost(record_id: str, client: anthropic.Anthropic, pipeline: Pipeline) -> None:
    record, want = RECORDS[record_id], EXPECTED[record_id]
    replay(client, record)
    [span] = pipeline.finished()
    attrs = span.attributes
    assert attrs[names.PROVIDER_NAME] == "anthropic"
    assert attrs[names.RESPONSE_MODEL] == (want.response_model or record["request"]["model"])
    assert attrs[names.USAGE_INPUT_TOKENS] == want.input
    assert attrs[names.USAGE_OUTPUT_TOKENS] == want.output
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == want.cache_read
    assert attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == want.cache_write
    assert attrs[names.USAGE_REASONING_OUTPUT_TOKENS] == want.reasoning
    assert close(attrs[names.USAGE_COST], want.cost), (attrs[names.USAGE_COST], want.cost)
    [(_, total)] = pipeline.metrics()[names.METRIC_COST]
    assert close(total, want.cost)  # the counter agrees with the span


def test_replay_error_record(client: anthropic.Anthropic, pipeline: Pipeline) -> None:
    with pytest.raises(anthropic.BadRequestError) as raised:
        replay(client, RECORDS["anthropic-error-400"])
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    [span] = pipeline.finished()
    assert span.status.status_code is StatusCode.ERROR and span.attributes[names.ERROR_TYPE] == "400"
    assert not pipeline.metrics().get(names.METRIC_COST)


def test_replay_count_tokens_record(client: anthropic.Anthropic, pipeline: Pipeline) -> None:
    result = replay(client, RECORDS["anthropic-count-tokens"])
    assert result.input_tokens == 1114
    [span] = pipeline.finished()
    assert span.attributes[names.OPERATION_NAME] == names.OP_COUNT_TOKENS
    assert span.attributes[names.USAGE_INPUT_TOKENS] == 1114 and names.USAGE_COST not in span.attributes
