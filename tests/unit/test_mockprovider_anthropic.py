"""The mock provider's Anthropic wire format, over plain HTTP (no SDK): paths, SSE events, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider

RECORDS = Path(__file__).resolve().parents[1] / "data" / "realdata_anthropic.jsonl"
USER = [{"role": "user", "content": "What is 10 + 5?"}]  # ceil(15 / 4) + 4 = 8 tokens


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic", records_path=RECORDS) as provider:
        yield provider


def post(mock: MockProvider, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(
        mock.root_url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_message_usage_excludes_cache_and_counts_thinking(mock: MockProvider) -> None:
    body = {"model": "m", "max_tokens": 4, "messages": USER, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    status, _, text = post(mock, "/v1/messages", body)
    message = json.loads(text)
    assert status == 200 and message["type"] == "message" and message["stop_reason"] == "end_turn"
    assert [block["type"] for block in message["content"]] == ["thinking", "text"]
    usage = message["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (8, 4 + 8)
    assert usage["output_tokens_details"] == {"thinking_tokens": 8}


def test_cache_control_prefix_written_then_read(mock: MockProvider) -> None:
    system = [{"type": "text", "text": "s" * 400, "cache_control": {"type": "ephemeral"}}]
    body = {"model": "m", "max_tokens": 1, "system": system, "messages": USER}
    first, second = (json.loads(post(mock, "/v1/messages?beta=true", body)[2])["usage"] for _ in range(2))
    assert (first["cache_creation_input_tokens"], first["cache_read_input_tokens"]) == (100, 0)
    assert first["cache_creation"] == {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0}
    assert (second["cache_creation_input_tokens"], second["cache_read_input_tokens"]) == (0, 100)
    # prompt: ceil((400 + 15) / 4) + 4 = 108 tokens, of which the 400-character prefix is 100
    assert first["input_tokens"] == second["input_tokens"] == 108 - 100


def test_stream_events(mock: MockProvider) -> None:
    body = {"model": "m", "max_tokens": 3, "messages": USER, "stream": True, "mock": {"chunks": 1}}
    status, headers, text = post(mock, "/v1/messages", body)
    assert status == 200 and headers["Content-Type"].startswith("text/event-stream")
    events = sse(text)
    assert [name for name, _ in events] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert all(name == data["type"] for name, data in events)
    assert events[0][1]["message"]["usage"]["output_tokens"] == 1
    delta_usage = events[5][1]["usage"]
    assert delta_usage["output_tokens"] == 3 and delta_usage["input_tokens"] == 8  # cumulative totals


def test_count_tokens_and_vertex_paths(mock: MockProvider) -> None:
    assert json.loads(post(mock, "/v1/messages/count_tokens", {"model": "m", "messages": USER})[2]) == {
        "input_tokens": 8
    }
    vertex = "/v1/projects/p/locations/us-east5/publishers/anthropic/models"
    message = json.loads(
        post(mock, f"{vertex}/claude-sonnet-4-5@20250929:rawPredict", {"max_tokens": 2, "messages": USER})[2]
    )
    assert message["model"] == "claude-sonnet-4-5@20250929"
    assert json.loads(post(mock, f"{vertex}/count-tokens:rawPredict", {"model": "m", "messages": USER})[2]) == {
        "input_tokens": 8
    }


@pytest.mark.parametrize(
    ("status", "error_type"), [(400, "invalid_request_error"), (429, "rate_limit_error"), (529, "overloaded_error")]
)
def test_errors_in_anthropic_shape(mock: MockProvider, status: int, error_type: str) -> None:
    got, headers, text = post(
        mock, "/v1/messages", {"model": "m", "max_tokens": 1, "messages": USER, "mock": {"error": status}}
    )
    body = json.loads(text)
    assert got == status and body["type"] == "error" and body["error"]["type"] == error_type
    assert (headers.get("retry-after") == "0") is (status == 429)


def test_unknown_path_and_bedrock_stream(mock: MockProvider) -> None:
    status, _, text = post(mock, "/v1/nothing", {})
    assert status == 404 and json.loads(text)["error"]["type"] == "not_found_error"
    status, _, text = post(mock, "/model/anthropic.claude/invoke-with-response-stream", {"messages": USER})
    assert status == 400 and "event stream" in json.loads(text)["error"]["message"]


def test_replay_serves_a_recorded_stream_verbatim(mock: MockProvider) -> None:
    record_id = "anthropic-stream-sonnet-4-basic"
    status, _, text = post(mock, "/v1/messages", {"mock": {"replay": record_id}})
    recorded = next(json.loads(line) for line in RECORDS.read_text().splitlines() if record_id in line)
    assert status == 200 and text == recorded["body"]
