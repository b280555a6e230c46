"""Gemini endpoints of the mock provider (flavors ``gemini`` and ``vertex``): request in, Reply out.

Paths, as the google-genai SDK sends them:

- Gemini Developer API: ``/v1beta/models/{model}:{method}`` (also ``/v1/...``);
- Vertex AI: ``/v1beta1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}``,
  and express mode (API key) ``/v1beta1/publishers/google/models/{model}:{method}``.

Methods: ``generateContent``, ``streamGenerateContent`` (``?alt=sse``: server-sent events, else
one JSON array), ``embedContent``, ``batchEmbedContents``, ``countTokens``. Errors use Google's
shape ``{"error": {"code", "message", "status"}}``.

Token formula (see :mod:`.tokens` for the shared parts)
    The input text is every ``text`` of ``systemInstruction`` and ``contents`` parts, plus the
    JSON of every ``functionCall.args`` and ``functionResponse.response``;
    ``promptTokenCount = ceil(len(text) / 4) + 4 * len(contents)``. A repeated prompt of at least
    1024 tokens is partly cached as in :class:`.tokens.PromptCache` (``cachedContentTokenCount``,
    included in ``promptTokenCount``, as Gemini's implicit cache reports it). Output:
    ``generationConfig.maxOutputTokens`` words, else 12. Thinking models (``gemini-2.5*``,
    ``gemini-3*``, or names with ``thinking``) also report ``thoughtsTokenCount = 2 * words``
    (outside ``candidatesTokenCount``), unless ``thinkingConfig.thinkingBudget`` is 0.
    Embeddings: ``promptTokenCount`` of all embedded texts, no per-message overhead.

Function calling
    When the request declares ``tools[].functionDeclarations`` and its last content holds no
    ``functionResponse``, the reply is a ``functionCall`` of the first declared function, with
    each declared parameter filled by type (STRING ``"mock"``, INTEGER 1, NUMBER 1.5, BOOLEAN
    true), so the SDK's automatic function calling answers it and asks again.

Automatic continuation
    With ``mock.continuation: k`` the first k requests stop with ``finishReason: CONTINUATION``
    and a ``continuationToken``; the SDK sends the request again with the token (one more HTTP
    request per hop) until a hop ends with ``STOP``.

Controls in the body under ``"mock"`` (google-genai: ``HttpOptions(extra_body={"mock": ...})``):
``usage`` (a ``usageMetadata`` object returned as is; or a list of them, the n-th used for the
n-th request of one SDK call: n = the ``functionResponse`` turns in the contents (automatic
function calling) plus the continuation hops so far), ``chunks`` (number of stream chunks),
``continuation`` (see above), ``fail_step`` / ``fail_status`` (the n-th request of one SDK call
fails: e.g. the second request of automatic function calling). Errors, timeouts and replay are handled by the
server; replaying a recorded JSON-array stream to an SSE request re-frames each array item as one
event, and integer-encoded enums (Vertex ``$alt=json;enum-encoding=int``) are sent by name unless
the request asks for integers: the same message in the encoding the client asked for.
"""

from __future__ import annotations

import base64
import json
import math
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from . import gemini_format as fmt
from .core import JsonReply, MockRequest, Reply, Route, ServerState, SseEvent, StreamReply, WireFormat
from .gemini_replay import replay
from .tokens import (
    DEFAULT_OUTPUT_WORDS,
    TOKENS_PER_MESSAGE,
    PromptInput,
    compute_counts,
    output_words,
    text_chunks,
)

#: A model that never reports usage.
NO_USAGE_MODEL = "mock-no-usage"
DEFAULT_EMBEDDING_DIMENSIONS = 8

_MODEL_PATH = re.compile(
    r"/v1(?:beta1?|alpha)?(?:/projects/[^/]+/locations/[^/]+)?(?:/publishers/[^/]+)?/models/([^/:]+):(\w+)"
)
_THINKING = re.compile(r"gemini-(2\.5|3)|thinking")


def normalize_path(path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
    """``.../models/{model}:{method}`` -> (``/models:{method}``, model)."""
    match = _MODEL_PATH.fullmatch(path.rstrip("/"))
    if match is None:
        return path, None
    return f"/models:{match.group(2)}", match.group(1)


def error_reply(status: int, message: str) -> Reply:
    return JsonReply(status, fmt.error_body(status, message))


# --- token accounting ------------------------------------------------------------------------


def _part_text(part: Any) -> str:
    if not isinstance(part, dict):
        return ""
    text = part.get("text")
    if isinstance(text, str):
        return text
    for key, inner in (("functionCall", "args"), ("functionResponse", "response")):
        value = part.get(key)
        if isinstance(value, dict):
            return json.dumps(value.get(inner), sort_keys=True, separators=(",", ":"))
    return ""


def _content_text(content: Any) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    return "".join(_part_text(p) for p in parts) if isinstance(parts, list) else ""


def contents_input(body: Mapping[str, Any]) -> PromptInput:
    contents = body.get("contents")
    contents = contents if isinstance(contents, list) else []
    text = _content_text(body.get("systemInstruction")) + "".join(_content_text(c) for c in contents)
    return PromptInput(text, messages=len(contents))


def _thinks(model: str, config: Mapping[str, Any]) -> bool:
    thinking = config.get("thinkingConfig")
    if isinstance(thinking, dict) and thinking.get("thinkingBudget") == 0:
        return False
    return bool(_THINKING.search(model.lower()))


def _output_words(config: Mapping[str, Any]) -> int:
    value = config.get("maxOutputTokens")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else DEFAULT_OUTPUT_WORDS


def _afc_step(body: Mapping[str, Any]) -> int:
    contents = body.get("contents")
    return sum(
        1
        for c in contents or ()
        if isinstance(c, dict) and any(isinstance(p, dict) and "functionResponse" in p for p in c.get("parts") or ())
    )


def _hop(body: Mapping[str, Any]) -> int:
    """The continuation hop a request resumes (0 for a first request): its token is "hop-<n>"."""
    token = body.get("continuationToken")
    try:
        return int(base64.b64decode(token).decode().removeprefix("hop-")) if isinstance(token, str) else 0
    except ValueError:
        return 0


def _continuation_token(req: MockRequest) -> str | None:
    """The token to resume from, while ``mock.continuation`` hops remain."""
    hops = req.mock.get("continuation")
    hop = _hop(req.body)
    if isinstance(hops, int) and not isinstance(hops, bool) and hop < hops:
        return base64.b64encode(f"hop-{hop + 1}".encode()).decode()
    return None


def _forced_usage(req: MockRequest) -> tuple[bool, dict[str, Any] | None]:
    """(forced?, usage): ``mock.usage`` as given, or the entry for this request of the SDK call."""
    forced = req.mock.get("usage")
    if isinstance(forced, list) and forced:
        return True, forced[min(_afc_step(req.body) + _hop(req.body), len(forced) - 1)]
    if isinstance(forced, dict):
        return True, forced
    return False, None


# --- replies ---------------------------------------------------------------------------------


def _response(
    req: MockRequest, state: ServerState, response_id: str, parts: list[dict[str, Any]], finish: str | None, usage: Any
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    if finish:
        token = _continuation_token(req)
        candidate["finishReason"] = "CONTINUATION" if token else finish
        if token:
            candidate["continuationToken"] = token
    body: dict[str, Any] = {"candidates": [candidate]}
    if usage is not None:
        body["usageMetadata"] = usage
    body["modelVersion"] = req.model
    if state.flavor == "vertex":
        body["createTime"] = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    body["responseId"] = response_id
    return body


def _failed_step(req: MockRequest) -> Reply | None:
    """``mock.fail_step: n``: the n-th request of one SDK call (0 the first) fails with
    ``mock.fail_status`` (default 500); the earlier ones succeed."""
    step, status = req.mock.get("fail_step"), req.mock.get("fail_status", 500)
    if not isinstance(step, int) or isinstance(step, bool) or _afc_step(req.body) + _hop(req.body) != step:
        return None
    status = status if isinstance(status, int) and 400 <= status <= 599 else 500
    return error_reply(status, f"Mock failure of request {step} of this call.")


def generate_content(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if not isinstance(req.body.get("contents"), list):
        return error_reply(400, "* GenerateContentRequest.contents: contents is not specified")
    failed = _failed_step(req)
    if failed is not None:
        return failed
    config = req.body.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    call = fmt.function_call(req.body)
    words = [] if call else output_words(_output_words(config))
    visible = 1 if call else len(words)
    counts = compute_counts(contents_input(req.body), "", visible, state.cache)
    thoughts = 2 * visible if _thinks(req.model, config) else 0
    forced, usage = _forced_usage(req)
    if not forced and req.model != NO_USAGE_MODEL:
        usage = fmt.usage_metadata(counts.prompt_tokens, counts.cached_tokens, visible, thoughts, state.flavor)
    response_id = state.ids.next("gemini-mock-")
    streamed = req.route.endswith(":streamGenerateContent")
    if not streamed:
        parts = [call] if call else [{"text": " ".join(words)}]
        return JsonReply(200, _response(req, state, response_id, parts, "STOP", usage))
    pieces = [call] if call else [{"text": piece} for piece in text_chunks(words, _chunks(req))]
    chunks = list(_stream_chunks(req, state, response_id, pieces, counts.prompt_tokens, counts.cached_tokens,
                                 thoughts, usage, forced))  # fmt: skip
    if req.query.get("alt") == "sse":
        return StreamReply(SseEvent(chunk) for chunk in chunks)
    return JsonReply(200, chunks)


def _chunks(req: MockRequest) -> int | None:
    value = req.mock.get("chunks")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _stream_chunks(
    req: MockRequest,
    state: ServerState,
    response_id: str,
    pieces: list[dict[str, Any]],
    prompt: int,
    cached: int,
    thoughts: int,
    final_usage: Any,
    forced: bool,
) -> Iterator[dict[str, Any]]:
    """Each chunk carries the running usage of the request so far, as Gemini's streams do."""
    seen = 0
    for i, part in enumerate(pieces):
        last = i == len(pieces) - 1
        seen += len(part["text"].split()) if "text" in part else 1
        if last:
            usage = final_usage
        elif forced or req.model == NO_USAGE_MODEL:
            usage = None
        else:
            usage = fmt.usage_metadata(prompt, cached, seen, thoughts, state.flavor)
        yield _response(req, state, response_id, [part], "STOP" if last else None, usage)


def _embed_texts(req: MockRequest) -> list[str]:
    body = req.body
    if isinstance(body.get("requests"), list):  # batchEmbedContents
        return [_content_text(r.get("content")) for r in body["requests"] if isinstance(r, dict)]
    if "content" in body:  # embedContent
        return [_content_text(body.get("content"))]
    return []


def _vector(text: str, dims: int) -> list[float]:
    from .openai_format import embedding_vector

    return embedding_vector(text, dims)


def embed(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    texts = _embed_texts(req)
    if not texts:
        return error_reply(400, "* EmbedContentRequest.content: content is not specified")
    prompt = sum(math.ceil(len(text) / 4) for text in texts)
    forced, usage = _forced_usage(req)
    if not forced:
        usage = None if req.model == NO_USAGE_MODEL else {"promptTokenCount": prompt, "totalTokenCount": prompt}
    dims = DEFAULT_EMBEDDING_DIMENSIONS
    if req.route.endswith(":embedContent"):
        body: dict[str, Any] = {"embedding": {"values": _vector(texts[0], dims)}}
    else:
        body = {"embeddings": [{"values": _vector(text, dims)} for text in texts]}
    if usage is not None:
        body["usageMetadata"] = usage
    return JsonReply(200, body)


def count_tokens(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    prompt = contents_input(req.body).prompt_tokens
    return JsonReply(200, {"totalTokens": prompt, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]})


ROUTES = (
    Route("POST", re.compile(r"/models:(generateContent|streamGenerateContent)"), generate_content),
    Route("POST", re.compile(r"/models:(embedContent|batchEmbedContents)"), embed),
    Route("POST", re.compile(r"/models:countTokens"), count_tokens),
)


GEMINI_FORMAT = WireFormat(
    name="gemini", routes=ROUTES, normalize_path=normalize_path, error_reply=error_reply, replay=replay
)

# Re-exported for tests that compute the formula by hand.
__all__ = ["GEMINI_FORMAT", "NO_USAGE_MODEL", "TOKENS_PER_MESSAGE", "contents_input"]
