"""Per-SDK workloads for the overhead benchmark: a client whose network peer is canned bytes.

The transport (`httpx2.MockTransport`) stands in for the provider's server and answers every
request with the same prepared body, so what is left to measure is the SDK and whatever
instruments it. Add an SDK by adding a `Workload` to `WORKLOADS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STREAM_CHUNKS = 22  # content chunks per streamed answer (plus the role, finish and usage chunks)
LONG_STREAM_CHUNKS = 222  # a long answer: the per-chunk cost is the slope between the two
MODEL = "gpt-4o-mini"
LONG_MODEL = "gpt-4o"  # the same answer, ten times longer
USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 60,
    "total_tokens": 1260,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}
MESSAGES = [{"role": "user", "content": "Say something short."}]


@dataclass(frozen=True)
class Workload:
    sdk: str
    make_client: Callable[[], Any]
    # One non-streamed call, and one streamed call fully consumed (returns the chunks the app saw).
    # bare=True calls the SDK method under the instrumentation's wrapper (`__wrapped__`), so the
    # same process can time the call with and without it, alternately.
    plain: Callable[[Any, bool], Any]
    stream: Callable[[Any, bool], int]
    long_stream: Callable[[Any, bool], int]
    chunks: int  # chunks the app sees per streamed call
    long_chunks: int
    parsed_chunks: Callable[[Any], list[Any]]  # the long stream's chunks, parsed by the SDK (bare)
    # (the instrumented method bound to a client, the kwargs of a plain call, its parsed response)
    canned_plain: Callable[[Any], tuple[Any, dict[str, Any], Any]]


# --- openai ----------------------------------------------------------------------------------


def _openai_completion() -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Short answer.", "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": USAGE,
            "service_tier": "default",
            "system_fingerprint": "fp_bench",
        }
    ).encode()


def _openai_stream(content_chunks: int) -> bytes:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000,
            "model": "gpt-4o-mini-2024-07-18", "service_tier": "default", "system_fingerprint": "fp_bench"}  # fmt: skip

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choices = [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
        return b"data: " + json.dumps({**base, "choices": choices, "usage": None, **extra}).encode() + b"\n\n"

    parts = [chunk({"role": "assistant", "content": ""})]
    parts += [chunk({"content": f"word{i} "}) for i in range(content_chunks)]
    parts.append(chunk({}, "stop"))
    parts.append(b"data: " + json.dumps({**base, "choices": [], "usage": USAGE}).encode() + b"\n\n")
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def _openai_client() -> Any:
    import httpx2
    import openai

    completion = _openai_completion()
    streams = {MODEL: _openai_stream(STREAM_CHUNKS), LONG_MODEL: _openai_stream(LONG_STREAM_CHUNKS)}

    def answer(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        if body.get("stream"):
            content = streams[body["model"]]
            return httpx2.Response(200, content=content, headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, content=completion, headers={"content-type": "application/json"})

    http_client = httpx2.Client(transport=httpx2.MockTransport(answer))
    # api.openai.com, so every instrumentation sees the real provider; nothing leaves the process.
    return openai.OpenAI(api_key="bench", base_url="https://api.openai.com/v1", http_client=http_client, max_retries=0)


def _unwrapped(method: Any, bare: bool) -> Any:
    """The method an instrumentation's wrapt wrapper wraps (the SDK's own decorators are kept)."""
    import wrapt

    return method.__wrapped__ if bare and isinstance(method, wrapt.BoundFunctionWrapper) else method


def _openai_plain(client: Any, bare: bool) -> Any:
    return _unwrapped(client.chat.completions.create, bare)(model=MODEL, messages=MESSAGES)


def _openai_stream_call(client: Any, bare: bool, model: str = MODEL) -> int:
    # The app asks for usage itself, so every configuration sends and receives the same bytes.
    create = _unwrapped(client.chat.completions.create, bare)
    stream = create(model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True})
    return sum(1 for _ in stream)


def _openai_long_stream_call(client: Any, bare: bool) -> int:
    return _openai_stream_call(client, bare, LONG_MODEL)


def _openai_canned_plain(client: Any) -> tuple[Any, dict[str, Any], Any]:
    kwargs = {"model": MODEL, "messages": MESSAGES}
    method = client.chat.completions.create
    return method, kwargs, _unwrapped(method, True)(**kwargs)


def _openai_parsed_chunks(client: Any) -> list[Any]:
    create = _unwrapped(client.chat.completions.create, True)
    return list(create(model=LONG_MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}))


WORKLOADS: dict[str, Workload] = {
    "openai": Workload(
        "openai",
        _openai_client,
        _openai_plain,
        _openai_stream_call,
        _openai_long_stream_call,
        chunks=STREAM_CHUNKS + 3,
        long_chunks=LONG_STREAM_CHUNKS + 3,
        parsed_chunks=_openai_parsed_chunks,
        canned_plain=_openai_canned_plain,
    ),
}
