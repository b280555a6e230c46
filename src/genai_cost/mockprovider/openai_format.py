"""Pure builders of OpenAI wire-format bodies and stream events.

The shapes copy real recorded responses (see the recorded responses in ``tests/data/``, e.g.
``openai-responses-stream-gpt-4.1-basic``) and carry every field the openai SDK's models
require, so ``ChatCompletion``, ``ChatCompletionChunk``, ``Response``,
``ResponseStreamEvent``, ``CreateEmbeddingResponse`` and ``Completion`` validate them.

Usage objects depend on the flavor; see :mod:`.tokens` for the numbers:

- ``openai``: the plain OpenAI shape.
- ``x_ai``: ``completion_tokens`` / ``output_tokens`` exclude reasoning tokens, which are
  reported in the details; ``total = prompt + completion + reasoning``.
- ``openrouter``: adds ``cost`` in USD:
  ``cost = prompt_tokens * 1e-6 + completion_tokens * 2e-6``.
- ``deepseek``: adds ``prompt_cache_hit_tokens`` / ``prompt_cache_miss_tokens`` to chat usage.
- ``mistral``: the plain shape; chat streams end with usage whether or not it was asked for.

Embedding vectors are deterministic: component ``i`` is ``(u_i % 2049 - 1024) / 1024``,
where ``u_i`` is the i-th little-endian uint16 of ``shake_256(input text)``; these values are
exact in float32, so the float list and the base64 form decode to the same numbers.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import struct
from collections.abc import Iterable, Iterator
from typing import Any

from .tokens import TokenCounts

SYSTEM_FINGERPRINT = "fp_mock"

_ERROR_TYPES = {
    400: ("invalid_request_error", "invalid_request"),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}


# --- usage -----------------------------------------------------------------------------


def chat_usage(counts: TokenCounts, flavor: str) -> dict[str, Any]:
    """Usage of chat completions and legacy completions."""
    completion = counts.completion_tokens(flavor)
    usage: dict[str, Any] = {
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": counts.total_tokens,
        "prompt_tokens_details": {"cached_tokens": counts.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": counts.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if flavor == "deepseek":
        usage["prompt_cache_hit_tokens"] = counts.cached_tokens
        usage["prompt_cache_miss_tokens"] = counts.prompt_tokens - counts.cached_tokens
    if flavor == "openrouter":
        usage["cost"] = counts.cost(flavor)
    return usage


def responses_usage(counts: TokenCounts, flavor: str) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "input_tokens": counts.prompt_tokens,
        # cache_write_tokens is required by the openai SDK model even though it is 0 here.
        "input_tokens_details": {"cached_tokens": counts.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": counts.completion_tokens(flavor),
        "output_tokens_details": {"reasoning_tokens": counts.reasoning_tokens},
        "total_tokens": counts.total_tokens,
    }
    if flavor == "openrouter":
        usage["cost"] = counts.cost(flavor)
    return usage


def embeddings_usage(prompt_tokens: int, flavor: str) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    if flavor == "openrouter":
        usage["cost"] = round(prompt_tokens * 1e-6, 12)
    return usage


# --- errors ----------------------------------------------------------------------------


def error_body(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error JSON; type/code follow what the real API sends for the status."""
    err_type, code = _ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": message, "type": err_type, "param": None, "code": code}}


# --- chat completions ------------------------------------------------------------------


def chat_completion(
    *, id: str, created: int, model: str, text: str, usage: dict[str, Any] | None, service_tier: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "service_tier": service_tier,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    # Servers that do not report usage omit the key rather than sending null.
    if usage is not None:
        body["usage"] = usage
    return body


def chat_chunk(
    *,
    id: str,
    created: int,
    model: str,
    service_tier: str,
    delta: dict[str, Any] | None,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chunk; ``delta=None`` gives the trailing usage chunk with ``choices: []``."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "service_tier": service_tier,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": choices,
        "usage": usage,
    }


def chat_stream(
    *,
    id: str,
    created: int,
    model: str,
    service_tier: str,
    pieces: Iterable[str],
    usage: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """All chunks of a chat stream (without ``[DONE]``); usage chunk only if ``usage``.

    A generator, so a long stream abandoned by its client is never built in full.
    """
    common = {"id": id, "created": created, "model": model, "service_tier": service_tier}
    yield chat_chunk(**common, delta={"role": "assistant", "content": "", "refusal": None})
    for piece in pieces:
        yield chat_chunk(**common, delta={"content": piece})
    yield chat_chunk(**common, delta={}, finish_reason="stop")
    if usage is not None:
        yield chat_chunk(**common, delta=None, usage=usage)


# --- responses -------------------------------------------------------------------------


def output_text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def message_item(id: str, text: str | None, status: str = "completed") -> dict[str, Any]:
    """Assistant message output item; ``text=None`` gives the empty in-progress item."""
    content = [] if text is None else [output_text_part(text)]
    return {"id": id, "type": "message", "status": status, "content": content, "role": "assistant"}


def reasoning_item(id: str) -> dict[str, Any]:
    return {"id": id, "type": "reasoning", "summary": []}


def response_object(
    *,
    id: str,
    created_at: int,
    model: str,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    service_tier: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    """A Responses-API ``response``; echoes the request settings like the real API."""
    reasoning = request.get("reasoning") if isinstance(request.get("reasoning"), dict) else {}
    return {
        "id": id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "max_tool_calls": None,
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": request.get("previous_response_id"),
        "prompt_cache_key": request.get("prompt_cache_key"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "safety_identifier": None,
        "service_tier": service_tier,
        "store": request.get("store", True) is not False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def responses_stream(final: dict[str, Any], *, pieces: Iterable[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) pairs of a Responses stream ending in ``final``.

    ``final`` is the completed response; its output is a message item, optionally
    preceded by a reasoning item. The order copies the real OpenAI stream.
    """
    sequence = itertools.count()

    def event(kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
        return kind, {"type": kind, "sequence_number": next(sequence), **data}

    in_progress = {**final, "status": "in_progress", "output": [], "usage": None}
    yield event("response.created", response=in_progress)
    yield event("response.in_progress", response=in_progress)
    for index, item in enumerate(final["output"]):
        if item["type"] != "message":
            yield event("response.output_item.added", output_index=index, item=item)
            yield event("response.output_item.done", output_index=index, item=item)
            continue
        text = item["content"][0]["text"]
        ids = {"item_id": item["id"], "output_index": index, "content_index": 0}
        added = message_item(item["id"], None, status="in_progress")
        yield event("response.output_item.added", output_index=index, item=added)
        yield event("response.content_part.added", **ids, part=output_text_part(""))
        for piece in pieces:
            yield event("response.output_text.delta", **ids, delta=piece, logprobs=[])
        yield event("response.output_text.done", **ids, text=text, logprobs=[])
        yield event("response.content_part.done", **ids, part=output_text_part(text))
        yield event("response.output_item.done", output_index=index, item=item)
    yield event("response.completed", response=final)


# --- embeddings ------------------------------------------------------------------------


def embedding_vector(text: str, dimensions: int = 8) -> list[float]:
    raw = hashlib.shake_256(text.encode("utf-8")).digest(2 * dimensions)
    return [(u % 2049 - 1024) / 1024 for (u,) in struct.iter_unpack("<H", raw)]


def encode_base64(vector: list[float]) -> str:
    """Base64 of little-endian float32, as OpenAI sends for ``encoding_format=base64``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embeddings_response(
    *, model: str, vectors: list[list[float]], base64_encoded: bool, usage: dict[str, Any] | None
) -> dict[str, Any]:
    data = [
        {"object": "embedding", "index": i, "embedding": encode_base64(v) if base64_encoded else v}
        for i, v in enumerate(vectors)
    ]
    body: dict[str, Any] = {"object": "list", "data": data, "model": model}
    if usage is not None:
        body["usage"] = usage
    return body


# --- legacy completions ----------------------------------------------------------------


def completion(
    *,
    id: str,
    created: int,
    model: str,
    text: str,
    finish_reason: str | None = "stop",
    usage: dict[str, Any] | None = None,
    with_choice: bool = True,
) -> dict[str, Any]:
    """A ``text_completion`` body or stream chunk (``with_choice=False``: usage chunk)."""
    choices = [{"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}] if with_choice else []
    body: dict[str, Any] = {
        "id": id,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": choices,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    if usage is not None:
        body["usage"] = usage
    return body


# --- models ----------------------------------------------------------------------------

MODEL_IDS = ("gpt-4o-mini", "gpt-4.1", "gpt-5", "o3-mini", "text-embedding-3-small", "gpt-3.5-turbo-instruct")


def model_object(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1700000000, "owned_by": "mock"}


def models_list() -> dict[str, Any]:
    return {"object": "list", "data": [model_object(m) for m in MODEL_IDS]}
