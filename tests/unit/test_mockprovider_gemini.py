"""The mock provider's Gemini wire format over plain HTTP: paths, shapes, errors, replay.

Token counts follow the formula in genai_cost.mockprovider.gemini_api: prompt = ceil(len(text)/4)
+ 4 per content; 12 output words; thinking models add 2 thought tokens per word.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_gemini.jsonl"
HELLO = {"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}  # 3 + 4 = 7 tokens


@pytest.fixture
def gemini() -> Iterator[MockProvider]:
    with MockProvider(flavor="gemini", records_path=DATA) as mock:
        yield mock


@pytest.fixture
def vertex() -> Iterator[MockProvider]:
    with MockProvider(flavor="vertex", records_path=DATA) as mock:
        yield mock


def post(mock: MockProvider, path: str, body: dict[str, Any]) -> tuple[int, str, str]:
    request = urllib.request.Request(
        mock.root_url + path, json.dumps(body).encode(), {"Content-Type": "application/json", "x-goog-api-key": "k"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def sse(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_generate_content_shape_and_formula(gemini: MockProvider) -> None:
    status, _, text = post(gemini, "/v1beta/models/gemini-2.5-flash:generateContent", HELLO)
    body = json.loads(text)
    assert status == 200
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert body["modelVersion"] == "gemini-2.5-flash"
    assert body["usageMetadata"] == {
        "promptTokenCount": 7, "candidatesTokenCount": 12, "thoughtsTokenCount": 24, "totalTokenCount": 43,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 7}],
    }  # fmt: skip
    assert "x-goog-api-key" not in gemini.requests[-1].headers  # credentials never logged


@pytest.mark.parametrize(
    "path",
    [
        "/v1beta1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
        "/v1beta1/publishers/google/models/gemini-2.0-flash:generateContent",  # Vertex express mode
        "/v1/projects/p/locations/global/publishers/google/models/gemini-2.0-flash:generateContent",
    ],
)
def test_vertex_paths_and_traffic_type(vertex: MockProvider, path: str) -> None:
    status, _, text = post(vertex, path, HELLO)
    usage = json.loads(text)["usageMetadata"]
    assert status == 200
    assert (usage["promptTokenCount"], usage["candidatesTokenCount"], usage["trafficType"]) == (7, 12, "ON_DEMAND")
    assert "thoughtsTokenCount" not in usage  # gemini-2.0-flash does not think


def test_stream_sse_and_json_array(gemini: MockProvider) -> None:
    status, content_type, text = post(
        gemini, "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", {**HELLO, "mock": {"chunks": 3}}
    )
    chunks = sse(text)
    assert status == 200 and content_type.startswith("text/event-stream")
    assert [c["usageMetadata"]["candidatesTokenCount"] for c in chunks] == [4, 8, 12]  # running totals
    assert [c["candidates"][0].get("finishReason") for c in chunks] == [None, None, "STOP"]
    _, content_type, text = post(gemini, "/v1beta/models/gemini-2.0-flash:streamGenerateContent", HELLO)
    assert content_type == "application/json" and len(json.loads(text)) == 12


def test_function_call_then_answer(gemini: MockProvider) -> None:
    tools = [{"functionDeclarations": [{"name": "f", "parameters": {
        "type": "OBJECT", "properties": {"city": {"type": "STRING"}, "days": {"type": "INTEGER"}}}}]}]  # fmt: skip
    _, _, text = post(gemini, "/v1beta/models/gemini-2.0-flash:generateContent", {**HELLO, "tools": tools})
    part = json.loads(text)["candidates"][0]["content"]["parts"][0]
    assert part == {"functionCall": {"name": "f", "args": {"city": "mock", "days": 1}}}
    answered = HELLO["contents"] + [
        {"role": "model", "parts": [part]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {"ok": 1}}}]},
    ]
    _, _, text = post(gemini, "/v1beta/models/gemini-2.0-flash:generateContent", {"contents": answered, "tools": tools})
    assert "text" in json.loads(text)["candidates"][0]["content"]["parts"][0]


def test_usage_list_is_picked_by_function_calling_step(gemini: MockProvider) -> None:
    usages = [{"promptTokenCount": 1}, {"promptTokenCount": 2}]
    answered = HELLO["contents"] + [
        {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "f", "response": {}}}]},
    ]
    first = post(gemini, "/v1beta/models/m:generateContent", {**HELLO, "mock": {"usage": usages}})
    second = post(gemini, "/v1beta/models/m:generateContent", {"contents": answered, "mock": {"usage": usages}})
    assert [json.loads(r[2])["usageMetadata"] for r in (first, second)] == usages


@pytest.mark.parametrize(
    ("status", "name"), [(400, "INVALID_ARGUMENT"), (429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL")]
)
def test_errors_in_google_shape(gemini: MockProvider, status: int, name: str) -> None:
    got, _, text = post(gemini, f"/v1beta/models/mock-error-{status}:generateContent", HELLO)
    error = json.loads(text)["error"]
    assert got == status and (error["code"], error["status"]) == (status, name)


def test_embeddings(gemini: MockProvider, vertex: MockProvider) -> None:
    requests = [{"content": {"parts": [{"text": "a" * 40}]}}, {"content": {"parts": [{"text": "b" * 8}]}}]
    _, _, text = post(gemini, "/v1beta/models/gemini-embedding-001:batchEmbedContents", {"requests": requests})
    body = json.loads(text)
    assert len(body["embeddings"]) == 2 and body["usageMetadata"]["promptTokenCount"] == 12
    path = "/v1beta1/projects/p/locations/l/publishers/google/models/gemini-embedding-001:embedContent"
    _, _, text = post(vertex, path, {"content": {"parts": [{"text": "a" * 40}]}})
    body = json.loads(text)
    assert len(body["embedding"]["values"]) == 8 and body["usageMetadata"]["promptTokenCount"] == 10


def test_replay_reframes_a_json_array_stream_and_names_integer_enums(vertex: MockProvider) -> None:
    path = "/v1beta1/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:streamGenerateContent"
    body = {**HELLO, "mock": {"replay": "vertex-stream-json-array"}}
    _, content_type, text = post(vertex, path + "?alt=sse", body)
    [chunk] = sse(text)
    assert content_type.startswith("text/event-stream")
    assert chunk["candidates"][0]["finishReason"] == "STOP"
    assert chunk["usageMetadata"]["trafficType"] == "ON_DEMAND"
    assert chunk["usageMetadata"]["promptTokensDetails"] == [{"modality": "TEXT", "tokenCount": 11}]
    # A client that asks for integer enums gets the recorded body as it is.
    _, _, text = post(vertex, path + "?%24alt=json%3Benum-encoding%3Dint", body)
    assert json.loads(text)[0]["candidates"][0]["finishReason"] == 1


def test_replay_of_an_sse_record_is_verbatim(gemini: MockProvider) -> None:
    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    [record] = [r for r in records if r["id"] == "gemini-stream-2.5-flash-web-fetch"]
    _, _, text = post(gemini, "/v1beta/models/x:streamGenerateContent?alt=sse", {"mock": {"replay": record["id"]}})
    assert text == record["body"]
