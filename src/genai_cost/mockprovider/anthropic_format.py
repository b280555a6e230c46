"""Pure builders of Anthropic Messages API bodies and stream events.

Shapes copy the recorded responses in ``tests/data/`` (e.g.
``anthropic-sonnet-4-basic`` and ``anthropic-stream-sonnet-4-basic``) and carry what the anthropic
SDK's ``Message`` and ``RawMessageStreamEvent`` models need.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# HTTP status -> Anthropic error type (https://docs.anthropic.com/en/api/errors)
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error_body(status: int, message: str, request_id: str = "req_mock") -> dict[str, Any]:
    error_type = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": request_id}


@dataclass(frozen=True)
class AnthropicCounts:
    """One request's usage in Anthropic's terms: ``input_tokens`` excludes cache reads and writes."""

    input_tokens: int
    cache_read: int
    cache_write: int
    cache_write_1h: bool  # the write has the 1-hour TTL
    visible_tokens: int
    thinking_tokens: int
    web_searches: int
    service_tier: str = "standard"

    @property
    def output_tokens(self) -> int:
        return self.visible_tokens + self.thinking_tokens


def usage(counts: AnthropicCounts) -> dict[str, Any]:
    write_1h = counts.cache_write if counts.cache_write_1h else 0
    body: dict[str, Any] = {
        "input_tokens": counts.input_tokens,
        "cache_creation_input_tokens": counts.cache_write,
        "cache_read_input_tokens": counts.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": counts.cache_write - write_1h,
            "ephemeral_1h_input_tokens": write_1h,
        },
        "output_tokens": counts.output_tokens,
        "service_tier": counts.service_tier,
    }
    if counts.thinking_tokens:
        body["output_tokens_details"] = {"thinking_tokens": counts.thinking_tokens}
    if counts.web_searches:
        body["server_tool_use"] = {"web_search_requests": counts.web_searches, "web_fetch_requests": 0}
    return body


def content_blocks(text: str, thinking: str | None, web_search: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if thinking is not None:
        blocks.append({"type": "thinking", "thinking": thinking, "signature": "mock-signature"})
    if web_search:
        blocks.append(
            {"type": "server_tool_use", "id": "srvtoolu_mock", "name": "web_search", "input": {"query": "mock"}}
        )
        blocks.append({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_mock", "content": []})
    blocks.append({"type": "text", "text": text, "citations": None})
    return blocks


def message(
    *, id: str, model: str, content: list[dict[str, Any]], usage: dict[str, Any] | None, stop_reason: str = "end_turn"
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }


def stream_events(
    *,
    id: str,
    model: str,
    thinking_pieces: list[str],
    text_pieces: list[str],
    start_usage: dict[str, Any],
    delta_usage: dict[str, Any],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs: message_start, a ping, content blocks, message_delta, message_stop."""
    start = message(id=id, model=model, content=[], usage=start_usage)
    start["stop_reason"] = None
    yield "message_start", {"type": "message_start", "message": start}
    yield "ping", {"type": "ping"}
    index = 0
    if thinking_pieces:
        yield "content_block_start", _block_start(index, {"type": "thinking", "thinking": "", "signature": ""})
        for piece in thinking_pieces:
            yield "content_block_delta", _delta(index, {"type": "thinking_delta", "thinking": piece})
        yield "content_block_delta", _delta(index, {"type": "signature_delta", "signature": "mock-signature"})
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
        index += 1
    yield "content_block_start", _block_start(index, {"type": "text", "text": ""})
    for piece in text_pieces:
        yield "content_block_delta", _delta(index, {"type": "text_delta", "text": piece})
    yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": delta_usage},
    )
    yield "message_stop", {"type": "message_stop"}


def _block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def _delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def batch(
    *, id: str, created_at: str, ended_at: str, expires_at: str, succeeded: int, errored: int, results_url: str
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": {
            "processing": 0,
            "succeeded": succeeded,
            "errored": errored,
            "canceled": 0,
            "expired": 0,
        },
        "created_at": created_at,
        "ended_at": ended_at,
        "expires_at": expires_at,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": results_url,
    }
