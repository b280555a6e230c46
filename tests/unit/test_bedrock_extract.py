"""Bedrock extraction on plain dicts: model ids, Converse usage, each family's InvokeModel body and stream."""

from __future__ import annotations

import json
from typing import Any

from genai_cost.bedrock.extract import (
    InvokeStreamAccumulator,
    body_usage,
    converse_outcome,
    header_usage,
    invoke_outcome,
    model_id,
)
from genai_cost.usage import Usage


def test_model_id_of_arns_and_profiles() -> None:
    profile = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    assert model_id(profile) == profile
    assert model_id(f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile}") == profile
    assert model_id("arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-8b-instruct-v1:0") == (
        "meta.llama3-1-8b-instruct-v1:0"
    )
    assert model_id("arn:aws:bedrock:us-east-1:1:application-inference-profile/abc") == "abc"  # unpriced, no guess
    assert model_id(None) is None


def test_converse_input_adds_the_cache_it_excludes() -> None:
    usage = {"inputTokens": 2, "outputTokens": 5, "totalTokens": 1329, "cacheReadInputTokens": 0,
             "cacheWriteInputTokens": 1322}  # fmt: skip
    outcome = converse_outcome({"usage": usage, "stopReason": "end_turn"}, "us.x")
    assert outcome.usage == Usage(1324, 5, cache_write_tokens=1322)
    assert outcome.finish_reasons == ["end_turn"] and outcome.response_model == "us.x"
    assert converse_outcome({"usage": {"serverToolUsage": {}}}, "m").usage is None  # no totals: no usage, not $0


def test_invoke_bodies_by_family() -> None:
    anthropic = {"usage": {"input_tokens": 4, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 6,
                           "output_tokens": 9}}  # fmt: skip
    assert body_usage(anthropic) == Usage(110, 9, cache_read_tokens=100, cache_write_tokens=6)
    nova_usage = {"inputTokens": 10, "outputTokens": 3, "cacheReadInputTokenCount": 5, "cacheWriteInputTokenCount": 0}
    nova = {"usage": nova_usage}
    assert body_usage(nova) == Usage(15, 3, cache_read_tokens=5)
    assert body_usage({"generation": "x", "prompt_token_count": 7, "generation_token_count": 8}) == Usage(7, 8)
    assert body_usage({"inputTextTokenCount": 4, "results": [{"tokenCount": 3}, {"tokenCount": 2}]}) == Usage(4, 5)
    assert body_usage({"usage": {"prompt_tokens": 11, "completion_tokens": 2}}) == Usage(11, 2)
    assert body_usage({"outputs": [{"text": "hi", "stop_reason": "stop"}]}) is None  # Mistral: the headers say


def test_headers_stand_in_for_a_body_without_usage() -> None:
    headers = {"x-amzn-bedrock-input-token-count": "11", "x-amzn-bedrock-output-token-count": "9"}
    assert header_usage(headers) == Usage(11, 9)
    outcome = invoke_outcome({"outputs": [{"text": "hi", "stop_reason": "stop"}]}, headers, "mistral.m")
    assert outcome.usage == Usage(11, 9) and outcome.finish_reasons == ["stop"]
    assert header_usage({}) is None


def _chunk(data: dict[str, Any]) -> dict[str, Any]:
    return {"chunk": {"bytes": json.dumps(data).encode()}}


def _stream_outcome(model: str, *payloads: dict[str, Any]) -> Any:
    """The outcome of an InvokeModel stream of these chunk payloads."""
    accumulator = InvokeStreamAccumulator(model)
    for payload in payloads:
        accumulator.add(_chunk(payload))
    return accumulator.outcome()


def test_invoke_stream_of_llama_and_of_a_family_with_metrics_only() -> None:
    llama = _stream_outcome(
        "meta.llama3-1-8b-instruct-v1:0",
        {"generation": "a", "prompt_token_count": 7, "generation_token_count": 1},
        {"generation": "b", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": "stop"},
    )
    assert llama.usage == Usage(7, 2)

    metrics = {"inputTokenCount": 11, "outputTokenCount": 9, "invocationLatency": 1, "firstByteLatency": 1}
    last = {"outputs": [{"text": "b", "stop_reason": "stop"}], "amazon-bedrock-invocationMetrics": metrics}
    outcome = _stream_outcome("mistral.m", {"outputs": [{"text": "a", "stop_reason": None}]}, last)
    assert outcome.usage == Usage(11, 9) and outcome.finish_reasons == ["stop"]


def test_invoke_streams_of_nova_and_titan_say_why_they_stopped() -> None:
    usage = {"inputTokens": 5, "outputTokens": 10, "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}
    nova = _stream_outcome(
        "amazon.nova-micro-v1:0",
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "a"}, "contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "max_tokens"}},  # a chunk of its own
        {"metadata": {"usage": usage, "metrics": {}, "trace": {}}},
    )
    assert nova.usage == Usage(5, 10) and nova.finish_reasons == ["max_tokens"]

    metrics = {"inputTokenCount": 5, "outputTokenCount": 10, "invocationLatency": 1, "firstByteLatency": 1}
    last = {"outputText": "a", "index": 0, "totalOutputTextTokenCount": 10, "completionReason": "LENGTH",
            "inputTextTokenCount": 5, "amazon-bedrock-invocationMetrics": metrics}  # fmt: skip
    titan = _stream_outcome("amazon.titan-text-lite-v1", last)  # at the top of its last chunk
    assert titan.usage == Usage(5, 10) and titan.finish_reasons == ["LENGTH"]
