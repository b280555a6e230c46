"""The mock provider's midway failures over plain HTTP: a stream cut after n events (any format), an
Anthropic stream's in-band error event, and the n-th request of one Gemini SDK call failing."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider

USER = [{"role": "user", "content": "hi"}]


def stream_events(mock: MockProvider, path: str, body: dict[str, Any]) -> tuple[list[str], bool]:
    """(the SSE data lines received, whether the body ended properly)."""
    connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    try:
        data, complete = response.read(), True
    except http.client.IncompleteRead as partial:
        data, complete = partial.partial, False
    connection.close()
    return [line[5:].strip().decode() for line in data.splitlines() if line.startswith(b"data:")], complete


def test_cut_after_drops_the_connection_midway() -> None:
    with MockProvider() as mock:
        body = {"model": "gpt-4o-mini", "messages": USER, "stream": True, "mock": {"chunks": 2}}
        whole, complete = stream_events(mock, "/v1/chat/completions", body)
        assert complete and whole[-1] == "[DONE]"
        assert len(whole) == 5  # the role chunk, two text chunks, the finish chunk, [DONE]
        cut, complete = stream_events(mock, "/v1/chat/completions", {**body, "mock": {"chunks": 2, "cut_after": 3}})
        assert not complete and len(cut) == 3
        assert [json.loads(e)["choices"] for e in cut] == [json.loads(e)["choices"] for e in whole[:3]]


def test_anthropic_error_after() -> None:
    with MockProvider(flavor="anthropic") as mock:
        body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": USER, "stream": True,
                "mock": {"error_after": 1}}  # fmt: skip
        events, complete = stream_events(mock, "/v1/messages", body)
    assert complete  # the error is an event of a well-formed stream, as the API sends it
    assert [json.loads(e)["type"] for e in events] == ["message_start", "error"]
    assert json.loads(events[1])["error"]["type"] == "overloaded_error"


@pytest.mark.parametrize(("turns", "fails"), [(1, False), (2, True)])
def test_gemini_fail_step_counts_function_responses(turns: int, fails: bool) -> None:
    contents: list[dict[str, Any]] = [{"role": "user", "parts": [{"text": "weather?"}]}]
    for _ in range(turns - 1):  # each answered function call is one more request of the SDK call
        contents += [
            {"role": "model", "parts": [{"functionCall": {"name": "w", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "w", "response": {}}}]},
        ]
    with MockProvider(flavor="gemini") as mock:
        connection = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
        body = {"contents": contents, "mock": {"fail_step": 1, "fail_status": 503}}
        connection.request("POST", "/v1beta/models/gemini-2.0-flash:generateContent", json.dumps(body))
        response = connection.getresponse()
        reply = json.loads(response.read())
        connection.close()
    if fails:
        assert response.status == 503 and reply["error"]["code"] == 503
    else:
        assert response.status == 200 and reply["candidates"]
