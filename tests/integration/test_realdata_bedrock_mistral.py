"""Recorded Bedrock Converse and InvokeModelWithResponseStream responses and Mistral responses,
replayed through boto3 and the mistralai SDK over real HTTP, under the real instrumentation.

The mock provider serves each record of tests/data/realdata_bedrock.jsonl and realdata_mistral.jsonl
verbatim (`mock.replay`, sent in Converse's `additionalModelRequestFields`, the InvokeModel body and
Mistral's `metadata`; a Bedrock stream's AWS event-stream frames byte for byte, decoded by botocore).
Expected tokens and costs were worked out by hand from each record's usage (Converse's
`inputTokens` EXCLUDES the cache reads and writes: `totalTokens` is the sum of all four counts in
every record) and per-million prices copied from genai-prices 0.2.3:

- aws regional.anthropic.claude-sonnet-4-5-20250929-v1:0 (the us. profile): $3.30 in / $0.33 cache read /
  $4.125 cache write / $16.50 out; amazon.nova-lite-v1:0 $0.06 / $0.24 out (no cache-write price: writes at
  the input rate); amazon.nova-micro-v1:0 $0.035 / $0.14; mistral.mistral-large-3-675b-instruct $0.50 / $1.50;
  qwen.qwen3-32b-v1:0 $0.15 / $0.60; amazon.titan-text-lite-v1 $0.15 / $0.20;
  regional.anthropic.claude-3-5-sonnet-20240620-v1:0 (the us. profile) $3 / $15;
- mistral mistral-tiny $0.25 / $0.25 (no cache-read price: cached tokens at the input rate);
  mistral-small-latest (since 2026-03-16) $0.15 / $0.60; mistral-large-latest $2 / $6.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from mistralai.client import Mistral
from opentelemetry.trace import StatusCode

from genai_cost import names
from genai_cost.bedrock import BedrockCostInstrumentor
from genai_cost.mistral import MistralCostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.helpers.calls import close, only_span

DATA = Path(__file__).resolve().parents[1] / "data"
M = 1_000_000


def records(name: str) -> dict[str, dict[str, Any]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return {record["id"]: record for record in (json.loads(line) for line in lines if line.strip())}


@dataclass(frozen=True)
class Expected:
    input: int
    output: int
    cost: float | None  # None: unpriced (unknown_model)
    cache_read: int = 0
    cache_write: int = 0
    finish: str = "end_turn"


BEDROCK: dict[str, Expected] = {
    # 2 uncached + 1322 written, 5 out (totalTokens 1329 = 2 + 1322 + 5)
    "bedrock-converse-sonnet-4.5-us-profile-cache-write": Expected(
        1324, 5, (2 * 3.3 + 1322 * 4.125 + 5 * 16.5) / M, cache_write=1322
    ),
    # the same prompt again: 1322 read
    "bedrock-converse-sonnet-4.5-us-profile-cache-read": Expected(
        1324, 5, (2 * 3.3 + 1322 * 0.33 + 5 * 16.5) / M, cache_read=1322
    ),
    # 10 uncached + 1298 written, all at Nova Lite's input rate
    "bedrock-converse-nova-lite-us-profile-cache-write": Expected(
        1308, 3, (1308 * 0.06 + 3 * 0.24) / M, cache_write=1298
    ),
    # an application inference profile's ARN names no model: unpriced, never $0
    "bedrock-converse-application-inference-profile": Expected(8, 2, None),
    "bedrock-converse-mistral-large-3": Expected(21, 26, (21 * 0.5 + 26 * 1.5) / M),
    "bedrock-converse-qwen3-32b": Expected(30, 33, (30 * 0.15 + 33 * 0.6) / M),
    "bedrock-converse-nova-micro-max-tokens": Expected(13, 5, (13 * 0.035 + 5 * 0.14) / M, finish="max_tokens"),
}
# InvokeModelWithResponseStream: the family's own usage events, else the invocation metrics of the
# last chunk. Claude's input in message_start, its output in the last message_delta; Nova's metadata.
BEDROCK_STREAMS: dict[str, Expected] = {
    # metadata: 5 in, 10 out; stopped in its own messageStop chunk
    "bedrock-invoke-stream-nova-micro-max-tokens": Expected(5, 10, (5 * 0.035 + 10 * 0.14) / M, finish="max_tokens"),
    # Titan's chunks are read only for their completionReason: its counts come from the invocation metrics
    "bedrock-invoke-stream-titan-text-lite-length": Expected(5, 10, (5 * 0.15 + 10 * 0.2) / M, finish="LENGTH"),
    # message_start 392 in, message_delta 134 out. This record's invocation metrics say 90 out: the
    # Anthropic events are read first, as for every Anthropic stream.
    "bedrock-invoke-stream-claude-3.5-sonnet-us-profile-tool-use": Expected(
        392, 134, (392 * 3 + 134 * 15) / M, finish="tool_use"
    ),
    # 603 in, 146 out, and the invocation metrics agree
    "bedrock-invoke-stream-claude-3.5-sonnet-us-profile-after-tool-result": Expected(
        603, 146, (603 * 3 + 146 * 15) / M
    ),
}
MISTRAL: dict[str, Expected] = {
    # prompt_tokens 20 INCLUDES the 10 cached; no cache-read price for mistral-tiny
    "mistral-chat-tiny-cached-tokens": Expected(20, 18, (20 * 0.25 + 18 * 0.25) / M, cache_read=10, finish="stop"),
    "mistral-chat-tiny": Expected(11, 53, (11 * 0.25 + 53 * 0.25) / M, finish="stop"),
    "mistral-chat-small-latest": Expected(28, 13, (28 * 0.15 + 13 * 0.6) / M, finish="stop"),
    "mistral-chat-large-latest": Expected(4, 36, (4 * 2.0 + 36 * 6.0) / M, finish="stop"),
}


def test_every_record_has_an_expectation() -> None:
    assert set(records("realdata_bedrock.jsonl")) == {*BEDROCK, *BEDROCK_STREAMS, "bedrock-converse-throttled"}
    assert set(records("realdata_mistral.jsonl")) == set(MISTRAL)


@pytest.fixture
def bedrock(pipeline: Pipeline) -> Iterator[Any]:
    instrumentor = BedrockCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    with MockProvider(flavor="bedrock", records_path=DATA / "realdata_bedrock.jsonl") as mock:
        yield boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=mock.root_url,
                           aws_access_key_id="test-key-id", aws_secret_access_key="test-secret",
                           config=Config(retries={"max_attempts": 1}))  # fmt: skip
    instrumentor.uninstrument()


@pytest.fixture
def mistral(pipeline: Pipeline) -> Iterator[Mistral]:
    instrumentor = MistralCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    with MockProvider(flavor="mistral", records_path=DATA / "realdata_mistral.jsonl") as mock:
        yield Mistral(api_key="test-key", server_url=mock.root_url)
    instrumentor.uninstrument()


def assert_span(span: Any, expected: Expected) -> None:
    a = span.attributes
    assert a[names.USAGE_INPUT_TOKENS] == expected.input
    assert a[names.USAGE_OUTPUT_TOKENS] == expected.output
    assert a[names.USAGE_CACHE_READ_INPUT_TOKENS] == expected.cache_read
    assert a[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == expected.cache_write
    assert a[names.RESPONSE_FINISH_REASONS] == (expected.finish,)
    if expected.cost is None:
        assert names.USAGE_COST not in a
        assert a[names.UNPRICED_REASON] == names.UNPRICED_UNKNOWN_MODEL
    else:
        assert close(a[names.USAGE_COST], expected.cost)


@pytest.mark.parametrize("record_id", list(BEDROCK))
def test_bedrock_record(record_id: str, bedrock: Any, pipeline: Pipeline) -> None:
    record = records("realdata_bedrock.jsonl")[record_id]
    response = bedrock.converse(
        modelId=record["request"]["model"],
        messages=[{"role": "user", "content": [{"text": "replayed"}]}],
        additionalModelRequestFields={"mock": {"replay": record_id}},
    )
    assert response["usage"]["inputTokens"] == record["usage"]["inputTokens"]  # the app sees the record

    span = only_span(pipeline)
    assert span.attributes[names.PROVIDER_NAME] == "aws.bedrock"
    assert_span(span, BEDROCK[record_id])


@pytest.mark.parametrize("record_id", list(BEDROCK_STREAMS))
def test_bedrock_invoke_stream_record(record_id: str, bedrock: Any, pipeline: Pipeline) -> None:
    record = records("realdata_bedrock.jsonl")[record_id]
    response = bedrock.invoke_model_with_response_stream(
        modelId=record["request"]["model"], body=json.dumps({"mock": {"replay": record_id}})
    )
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    metrics = record["usage"][-1]  # the app sees the record: its last chunk's invocation metrics
    assert (
        chunks[-1]["amazon-bedrock-invocationMetrics"] == metrics["usage"] and len(chunks) == metrics["event_index"] + 1
    )

    span = only_span(pipeline)
    assert span.attributes[names.PROVIDER_NAME] == "aws.bedrock"
    assert span.attributes[names.REQUEST_STREAM] is True
    assert span.attributes[names.RESPONSE_MODEL] == record["request"]["model"]
    assert_span(span, BEDROCK_STREAMS[record_id])


def test_bedrock_throttled_record(bedrock: Any, pipeline: Pipeline) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        bedrock.converse(
            modelId="us.amazon.nova-micro-v1:0",
            messages=[{"role": "user", "content": [{"text": "hello"}]}],
            additionalModelRequestFields={"mock": {"replay": "bedrock-converse-throttled"}},
        )
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"

    span = only_span(pipeline)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == "botocore.errorfactory.ThrottlingException"
    assert names.USAGE_INPUT_TOKENS not in span.attributes


@pytest.mark.parametrize("record_id", list(MISTRAL))
def test_mistral_record(record_id: str, mistral: Mistral, pipeline: Pipeline) -> None:
    record = records("realdata_mistral.jsonl")[record_id]
    response = mistral.chat.complete(
        model=record["request"]["model"],
        messages=[{"role": "user", "content": "replayed"}],
        metadata={"mock": {"replay": record_id}},
    )
    assert response.usage.prompt_tokens == record["usage"]["prompt_tokens"]

    span = only_span(pipeline)
    assert span.attributes[names.PROVIDER_NAME] == "mistral_ai"
    assert span.attributes[names.RESPONSE_MODEL] == record["request"]["model"]
    assert_span(span, MISTRAL[record_id])
