"""Tests of the deterministic mock provider, through the real openai SDK over HTTP.

Expected token counts are computed by hand from the formula documented in
``genai_cost.mockprovider.tokens``:
prompt_tokens = ceil(len(text)/4) + 4 per message; output = 12 words unless limited.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

import genai_cost.mockprovider as mockprovider
from genai_cost.mockprovider import MockProvider
from genai_cost.mockprovider.tokens import WORDS

# Real recorded responses, copied into the repository with their attribution (tests/data/README.md).
REALDATA = Path(__file__).resolve().parents[1] / "data" / "realdata_openai_format.jsonl"

TWELVE_WORDS = " ".join(WORDS[i % len(WORDS)] for i in range(12))


def prompt_tokens(*texts: str, messages: int) -> int:
    return math.ceil(len("".join(texts)) / 4) + 4 * messages


@pytest.fixture
def mock() -> Iterator[MockProvider]:
    records = REALDATA if REALDATA.exists() else None
    with MockProvider(records_path=records, timeout_delay_s=3.0) as provider:
        yield provider


def make_client(provider: MockProvider, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=provider.base_url, api_key="test", max_retries=0, **kwargs)


@pytest.fixture
def client(mock: MockProvider) -> openai.OpenAI:
    return make_client(mock)


def body_text(raw: Any) -> str:
    """Body of a raw (possibly streamed) SDK response."""
    return raw.http_response.read().decode("utf-8")


def sse_events(text: str) -> list[tuple[str | None, str]]:
    """(event, data) pairs of a raw SSE body."""
    events = []
    for block in text.strip().split("\n\n"):
        name = None
        data = []
        for line in block.splitlines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        events.append((name, "\n".join(data)))
    return events


def post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# --- chat completions ------------------------------------------------------------------


def test_chat_usage_follows_documented_formula(client: openai.OpenAI) -> None:
    system, user = "You are terse.", "Say hello to the mock."
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
    )
    # The body validates strictly, not only through the SDK's lenient construction.
    completion = ChatCompletion.model_validate_json(raw.text)
    expected_prompt = prompt_tokens(system, user, messages=2)
    assert expected_prompt == 9 + 8
    assert completion.model == "gpt-4o-mini"
    assert re.fullmatch(r"chatcmpl-mock-[0-9a-f]{6}-000001", completion.id)
    assert completion.choices[0].message.content == TWELVE_WORDS
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (17, 12, 29)
    assert usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details and usage.completion_tokens_details.reasoning_tokens == 0


def test_content_parts_and_max_tokens(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="gpt-4.1",
        messages=[{"role": "user", "content": [{"type": "text", "text": "abcdefghi"}]}],
        max_tokens=5,
    )
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 3 + 4
    assert completion.usage.completion_tokens == 5
    assert completion.choices[0].message.content == " ".join(WORDS[:5])


def test_prompt_cache_hit_on_repeated_long_prompt(mock: MockProvider, client: openai.OpenAI) -> None:
    long_text = "x" * 4400  # 1100 + 4 = 1104 prompt tokens
    messages = [{"role": "user", "content": long_text}]

    def cached() -> tuple[int, int]:
        usage = client.chat.completions.create(model="gpt-4o-mini", messages=messages).usage
        assert usage is not None and usage.prompt_tokens_details is not None
        return usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens or 0

    assert cached() == (1104, 0)
    assert cached() == (1104, 1024)  # (1104 // 128) * 128
    mock.reset()
    assert cached() == (1104, 0)

    short = [{"role": "user", "content": "short prompt"}]
    for _ in range(2):
        usage = client.chat.completions.create(model="gpt-4o-mini", messages=short).usage
        assert usage and usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 0


def test_reasoning_model_counts_reasoning_inside_completion(client: openai.OpenAI) -> None:
    usage = client.chat.completions.create(
        model="o3-mini", messages=[{"role": "user", "content": "think"}], max_completion_tokens=10
    ).usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 20
    assert usage.completion_tokens == 30
    assert usage.total_tokens == usage.prompt_tokens + 30


def test_x_ai_flavor_excludes_reasoning_from_completion_tokens() -> None:
    with MockProvider(flavor="x_ai") as provider:
        completion = make_client(provider).chat.completions.create(
            model="grok-4-1-fast-reasoning", messages=[{"role": "user", "content": "abcd"}], max_tokens=10
        )
    usage = completion.usage
    assert usage is not None and usage.completion_tokens_details is not None
    assert usage.prompt_tokens == 1 + 4
    assert usage.completion_tokens == 10
    assert usage.completion_tokens_details.reasoning_tokens == 20
    assert usage.total_tokens == 5 + 10 + 20


def test_openrouter_flavor_reports_cost() -> None:
    with MockProvider(flavor="openrouter") as provider:
        client = make_client(provider)
        usage = client.chat.completions.create(
            model="openai/gpt-4o", messages=[{"role": "user", "content": "abcdefgh"}]
        ).usage
        response_usage = client.responses.create(model="openai/gpt-5", input="abcd").usage
    assert usage is not None and response_usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (6, 12)
    cost = usage.model_dump()["cost"]
    assert isinstance(cost, float)
    assert cost == pytest.approx(6 * 1e-6 + 12 * 2e-6)
    # gpt-5 reasons: output = 12 + 24 tokens; a plain-string input is one message.
    assert response_usage.model_dump()["cost"] == pytest.approx(5 * 1e-6 + 36 * 2e-6)


def test_deepseek_flavor_adds_cache_hit_and_miss() -> None:
    with MockProvider(flavor="deepseek") as provider:
        client = make_client(provider)
        messages = [{"role": "user", "content": "y" * 4096}]  # 1024 + 4 tokens
        client.chat.completions.create(model="deepseek-chat", messages=messages)
        usage = client.chat.completions.create(model="deepseek-chat", messages=messages).usage
    assert usage is not None
    extra = usage.model_dump()
    assert extra["prompt_cache_hit_tokens"] == 1024
    assert extra["prompt_cache_miss_tokens"] == 4
    assert usage.prompt_tokens_details and usage.prompt_tokens_details.cached_tokens == 1024


def test_chat_stream_with_include_usage(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    events = sse_events(body_text(raw))
    assert events[-1] == (None, "[DONE]")
    chunks = [ChatCompletionChunk.model_validate_json(data) for _, data in events[:-1]]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks[1:-1]][-1] == "stop"
    content = [c.choices[0].delta.content for c in chunks[1:-2]]
    assert len(content) == 12  # one chunk per word
    assert "".join(content) == TWELVE_WORDS  # type: ignore[arg-type]
    assert all(c.usage is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (prompt_tokens("stream please", messages=1), 12)


def test_chat_stream_without_include_usage_has_no_usage(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_body={"mock": {"chunks": 3}},
        )
    )
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert len(chunks) == 1 + 3 + 1
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == TWELVE_WORDS


def test_stream_can_be_abandoned_and_connection_reused(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "long"}], stream=True, max_tokens=50_000
    )
    for i, _ in enumerate(stream):
        if i == 3:
            break
    stream.close()
    usage = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "ok"}]).usage
    assert usage is not None and usage.completion_tokens == 12


def test_mock_usage_override_no_usage_model_and_service_tier(client: openai.OpenAI) -> None:
    override = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10, "custom": 1}
    completion = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "x"}],
        extra_body={"mock": {"usage": override, "service_tier": "flex"}},
    )
    assert completion.usage is not None
    assert completion.usage.model_dump(exclude_unset=True) == override
    assert completion.service_tier == "flex"

    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"mock": {"usage": override}},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 10

    assert client.chat.completions.create(model="mock-no-usage", messages=[]).usage is None
    chunks = list(
        client.chat.completions.create(
            model="mock-no-usage", messages=[], stream=True, stream_options={"include_usage": True}
        )
    )
    assert all(c.usage is None for c in chunks)
    assert client.responses.create(model="mock-no-usage", input="x").usage is None


# --- responses -------------------------------------------------------------------------


def test_responses_create_and_retrieve(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(
        model="gpt-4.1",
        input=[{"role": "user", "content": [{"type": "input_text", "text": "abcdefgh"}]}],
        max_output_tokens=4,
    )
    response = Response.model_validate_json(raw.text)
    assert re.fullmatch(r"resp_mock_[0-9a-f]{6}-000001", response.id)
    assert response.model == "gpt-4.1"
    assert response.output_text == " ".join(WORDS[:4])
    assert response.usage is not None
    assert response.usage.input_tokens == 2 + 4
    assert response.usage.output_tokens == 4
    assert response.usage.total_tokens == 10
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.input_tokens_details.cache_write_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0

    fetched = client.responses.retrieve(response.id)
    assert fetched.model_dump() == response.model_dump()
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_unknown")


def test_responses_stream_event_sequence(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(model="gpt-4.1", input="Say four words", stream=True)
    events = sse_events(body_text(raw))
    adapter: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)
    parsed = [adapter.validate_json(data) for _, data in events]
    assert [name for name, _ in events] == [e.type for e in parsed]
    assert [e.type for e in parsed] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * 12,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in parsed] == list(range(len(parsed)))
    done = parsed[-1]
    assert done.type == "response.completed"
    assert done.response.usage is not None
    assert done.response.usage.input_tokens == prompt_tokens("Say four words", messages=1)
    assert done.response.usage.output_tokens == 12
    assert done.response.output_text == TWELVE_WORDS
    # A streamed response is stored too.
    assert client.responses.retrieve(done.response.id).usage == done.response.usage


def test_responses_stream_of_reasoning_model_through_sdk(client: openai.OpenAI) -> None:
    events = list(client.responses.create(model="gpt-5-mini", input="hi", stream=True, max_output_tokens=3))
    assert events[2].type == "response.output_item.added"
    assert events[2].item.type == "reasoning"
    final = events[-1]
    assert final.type == "response.completed"
    usage = final.response.usage
    assert usage is not None
    assert usage.output_tokens == 3 + 6
    assert usage.output_tokens_details.reasoning_tokens == 6


# --- embeddings and legacy completions -------------------------------------------------


def test_embeddings(client: openai.OpenAI) -> None:
    raw = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input=["hello world", "bye"], encoding_format="float"
    )
    body = CreateEmbeddingResponse.model_validate_json(raw.text)
    assert [len(d.embedding) for d in body.data] == [8, 8]
    assert body.usage.prompt_tokens == body.usage.total_tokens == math.ceil(len("hello worldbye") / 4)
    # The SDK asks for base64 by default and decodes it; the numbers must be the same.
    decoded = client.embeddings.create(model="text-embedding-3-small", input="hello world")
    assert decoded.data[0].embedding == body.data[0].embedding
    assert body.data[0].embedding != body.data[1].embedding

    b64 = client.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="bye", encoding_format="base64"
    )
    encoded = json.loads(b64.text)["data"][0]["embedding"]
    assert list(struct.unpack("<8f", base64.b64decode(encoded))) == body.data[1].embedding


def test_legacy_completions(client: openai.OpenAI) -> None:
    raw = client.completions.with_raw_response.create(model="gpt-3.5-turbo-instruct", prompt="Once upon")
    completion = Completion.model_validate_json(raw.text)
    assert completion.choices[0].text == " ".join(WORDS[:8])
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 8)
    assert completion.usage.total_tokens == 11

    chunks = list(
        client.completions.create(
            model="gpt-3.5-turbo-instruct",
            prompt="Once upon",
            stream=True,
            max_tokens=3,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == " ".join(WORDS[:3])
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    plain = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="x", stream=True))
    assert all(c.usage is None for c in plain)


# --- errors and timeouts ---------------------------------------------------------------


def test_error_statuses(client: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as rate_limited:
        client.chat.completions.create(model="mock-error-429", messages=[{"role": "user", "content": "x"}])
    assert rate_limited.value.response.headers["retry-after"] == "0"
    assert rate_limited.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="mock-error-500", messages=[])
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4.1", input="x", extra_body={"mock": {"error": 500}})
    with pytest.raises(openai.RateLimitError):
        client.embeddings.create(model="text-embedding-3-small", input="x", extra_body={"mock": {"error": 429}})
    with pytest.raises(openai.BadRequestError) as bad:
        client.completions.create(model="mock-error-400", prompt="x")
    assert isinstance(bad.value.body, dict)
    assert set(bad.value.body) == {"message", "type", "param", "code"}


def test_timeout_raises_and_does_not_block_other_requests(client: openai.OpenAI) -> None:
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(
            model="mock-timeout", messages=[{"role": "user", "content": "x"}]
        )
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.3).chat.completions.create(
            model="gpt-4o-mini", messages=[], extra_body={"mock": {"error": "timeout"}}
        )
    # Both handlers still sleep; a third request is answered at once.
    assert client.chat.completions.create(model="gpt-4o-mini", messages=[]).usage is not None
    assert time.monotonic() - started < 2.0


def test_stop_wakes_sleeping_timeout_handler() -> None:
    provider = MockProvider(timeout_delay_s=30.0).start()
    client = make_client(provider, timeout=60)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.chat.completions.create(model="mock-timeout", messages=[])
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    provider.stop()
    provider.stop()  # idempotent
    worker.join(timeout=5)
    assert time.monotonic() - started < 2.0
    assert not worker.is_alive()
    assert errors and isinstance(errors[0], openai.APIConnectionError)


# --- replay ----------------------------------------------------------------------------


def _records() -> dict[str, dict[str, Any]]:
    with REALDATA.open(encoding="utf-8") as f:
        return {r["id"]: r for r in map(json.loads, f)}


def test_replay_recorded_responses(client: openai.OpenAI) -> None:
    records = _records()

    rid = "openai-chat-gpt-4o-mini-prompt-cache-hit"
    chat = client.chat.completions.create(model="any", messages=[], extra_body={"mock": {"replay": rid}})
    assert chat.usage is not None
    assert chat.usage.model_dump(exclude_unset=True) == records[rid]["usage"]
    assert chat.usage.prompt_tokens_details and chat.usage.prompt_tokens_details.cached_tokens == 1024

    rid = "openai-chat-stream-gpt-4o-mini-include-usage"
    chunks = list(
        client.chat.completions.create(model="any", messages=[], stream=True, extra_body={"mock": {"replay": rid}})
    )
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.model_dump(exclude_unset=True) == records[rid]["usage"][-1]["usage"]

    rid = "openai-responses-stream-gpt-4.1-basic"
    raw = client.responses.with_raw_response.create(
        model="any", input="x", stream=True, extra_body={"mock": {"replay": rid}}
    )
    assert body_text(raw) == records[rid]["body"]
    assert raw.headers["content-type"] == records[rid]["content_type"]
    events = list(client.responses.create(model="any", input="x", stream=True, extra_body={"mock": {"replay": rid}}))
    assert events[-1].type == "response.completed"
    assert events[-1].response.usage is not None
    assert events[-1].response.usage.model_dump(exclude_unset=True) == records[rid]["usage"][-1]["usage"]

    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model="any", messages=[], extra_body={"mock": {"replay": "openai-chat-error-400"}}
        )
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="any", messages=[], extra_body={"mock": {"replay": "no-such-record"}})


# --- paths, Azure, request log, command line -------------------------------------------


def test_azure_client_and_deployment_model(mock: MockProvider) -> None:
    azure = openai.AzureOpenAI(azure_endpoint=mock.root_url, api_version="2024-10-21", api_key="x", max_retries=0)
    completion = azure.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "hi"}])
    assert completion.model == "my-deployment"
    assert completion.usage is not None and completion.usage.prompt_tokens == 1 + 4
    assert azure.responses.create(model="my-deployment", input="hi").usage is not None
    logged = mock.requests[0]
    assert logged.path == "/openai/deployments/my-deployment/chat/completions"
    assert logged.query == {"api-version": "2024-10-21"}
    assert "api-key" not in logged.headers

    # Without a model in the body the deployment name is used.
    status, body = post(
        mock.root_url + "/openai/deployments/dep-2/chat/completions?api-version=2024-10-21",
        {"messages": [{"role": "user", "content": "hi"}]},
    )
    assert status == 200 and body["model"] == "dep-2"


def test_paths_without_v1_prefix_and_unknown_paths(mock: MockProvider) -> None:
    status, body = post(mock.root_url + "/chat/completions", {"model": "m", "messages": []})
    assert status == 200 and body["object"] == "chat.completion"
    status, body = post(mock.base_url + "/nothing/here", {"model": "m"})
    assert status == 404 and body["error"]["type"] == "invalid_request_error"
    assert [m.id for m in make_client(mock).models.list()]


def test_request_log(mock: MockProvider, client: openai.OpenAI) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], extra_body={"mock": {"chunks": 2}}
    )
    (logged,) = mock.requests
    assert (logged.method, logged.path) == ("POST", "/v1/chat/completions")
    assert logged.body is not None
    assert logged.body["model"] == "gpt-4o-mini"
    assert logged.body["mock"] == {"chunks": 2}
    assert "authorization" not in logged.headers
    assert logged.headers["content-type"] == "application/json"
    mock.reset()
    assert mock.requests == []


def test_command_line_serves_until_interrupted() -> None:
    src = Path(mockprovider.__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "genai_cost.mockprovider", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0)
        assert client.chat.completions.create(model="m", messages=[]).usage is not None
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
