"""OpenAI-compatible endpoints of the mock provider: request in, :class:`Reply` out.

Paths are accepted under ``/v1``, without a prefix (DeepSeek style), under ``/api/v1``
(OpenRouter style), and Azure style: ``/openai/deployments/{deployment}/...`` (the model
defaults to the deployment) or ``/openai/...`` / ``/openai/v1/...``; the ``api-version``
query parameter is accepted and ignored.

Controls in the request body under ``"mock"`` that act here: ``usage`` (returned as is),
``chunks`` (number of content chunks of a stream) and ``service_tier`` (echoed). The model
``mock-no-usage`` never reports usage. Errors, timeouts and replay are handled by the
server before these handlers run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from . import openai_format as fmt
from .core import (
    JsonReply,
    MockRequest,
    Reply,
    Route,
    ServerState,
    SseEvent,
    StreamReply,
    WireFormat,
)
from .tokens import (
    DEFAULT_COMPLETION_WORDS,
    compute_counts,
    is_reasoning_model,
    messages_input,
    output_word_count,
    output_words,
    plain_input,
    responses_input,
    text_chunks,
)

#: A model that behaves like servers that never report usage.
NO_USAGE_MODEL = "mock-no-usage"
DEFAULT_EMBEDDING_DIMENSIONS = 8

_AZURE_DEPLOYMENT = re.compile(r"/openai/deployments/([^/]+)(/.*)?")
_PREFIXES = ("/openai/v1", "/openai", "/api/v1", "/v1")


def normalize_path(path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
    """Reduce any accepted URL path to e.g. ``/chat/completions``; also return the deployment."""
    path = path.rstrip("/") or "/"
    match = _AZURE_DEPLOYMENT.fullmatch(path)
    if match:
        return match.group(2) or "/", match.group(1)
    for prefix in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/", None
    return path, None


def error_reply(status: int, message: str) -> Reply:
    # retry-after: 0 lets SDK retry logic proceed without waiting in tests.
    headers = {"retry-after": "0"} if status == 429 else {}
    return JsonReply(status, fmt.error_body(status, message), headers)


# --- helpers ---------------------------------------------------------------------------


def _service_tier(req: MockRequest) -> str:
    tier = req.mock.get("service_tier") or req.body.get("service_tier")
    # The real API answers "auto" with the tier it actually used, normally "default".
    if not isinstance(tier, str) or tier == "auto":
        return "default"
    return tier


def _usage(req: MockRequest, build: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    override = req.mock.get("usage")
    if isinstance(override, dict):
        return override
    if req.model == NO_USAGE_MODEL:
        return None
    return build()


def _chunks(req: MockRequest) -> int | None:
    value = req.mock.get("chunks")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _include_usage(req: MockRequest, flavor: str = "") -> bool:
    """Whether a stream ends with usage: when asked, and always for Mistral, which sends it unasked."""
    if flavor == "mistral":
        return True
    options = req.body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _missing(param: str) -> Reply:
    return error_reply(400, f"Missing required parameter: '{param}'.")


def _sse(chunks: Iterable[dict[str, Any]]) -> StreamReply:
    """Data-only events ending in ``[DONE]``, produced lazily while the server writes."""

    def events() -> Iterator[SseEvent]:
        for chunk in chunks:
            yield SseEvent(chunk)
        yield SseEvent("[DONE]")

    return StreamReply(events())


# --- handlers --------------------------------------------------------------------------


def chat_completions(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    messages = req.body.get("messages")
    if not isinstance(messages, list):
        return _missing("messages")
    if not req.model:
        return _missing("model")
    words = output_words(output_word_count(req.body))
    counts = compute_counts(messages_input(messages), req.model, len(words), state.cache)
    usage = _usage(req, lambda: fmt.chat_usage(counts, state.flavor))
    common = {
        "id": state.ids.next("chatcmpl-mock-"),
        "created": int(time.time()),
        "model": req.model,
        "service_tier": _service_tier(req),
    }
    if not req.stream:
        return JsonReply(200, fmt.chat_completion(**common, text=" ".join(words), usage=usage))
    chunks = fmt.chat_stream(
        **common,
        pieces=text_chunks(words, _chunks(req)),
        usage=usage if _include_usage(req, state.flavor) else None,
    )
    return _sse(chunks)


def create_response(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if "input" not in req.body:
        return _missing("input")
    if not req.model:
        return _missing("model")
    words = output_words(output_word_count(req.body))
    counts = compute_counts(responses_input(req.body["input"]), req.model, len(words), state.cache)
    response_id = state.ids.next("resp_mock_")
    output: list[dict[str, Any]] = []
    if is_reasoning_model(req.model):
        output.append(fmt.reasoning_item(state.ids.next("rs_mock_")))
    output.append(fmt.message_item(state.ids.next("msg_mock_"), " ".join(words)))
    final = fmt.response_object(
        id=response_id,
        created_at=int(time.time()),
        model=req.model,
        status="completed",
        output=output,
        usage=_usage(req, lambda: fmt.responses_usage(counts, state.flavor)),
        service_tier=_service_tier(req),
        request=req.body,
    )
    if final["store"]:
        state.responses.put(final)
    if not req.stream:
        return JsonReply(200, final)
    events = fmt.responses_stream(final, pieces=text_chunks(words, _chunks(req)))
    return StreamReply(SseEvent(data, event=name) for name, data in events)


def get_response(req: MockRequest, state: ServerState, match: re.Match[str]) -> Reply:
    response_id = match.group(1)
    stored = state.responses.get(response_id)
    if stored is None:
        return error_reply(404, f"Response with id '{response_id}' not found.")
    return JsonReply(200, stored)


def embeddings(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    value = req.body.get("input")
    if value is None:
        return _missing("input")
    if not req.model:
        return _missing("model")
    # One vector per input string or token-id array; a flat id list is a single input.
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, int) for v in value)):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        return error_reply(400, "'input' must be a string or an array.")
    dims = req.body.get("dimensions")
    if not (isinstance(dims, int) and not isinstance(dims, bool) and dims > 0):
        dims = DEFAULT_EMBEDDING_DIMENSIONS
    vectors = [fmt.embedding_vector(item if isinstance(item, str) else json.dumps(item), dims) for item in items]
    prompt_tokens = plain_input(value).prompt_tokens
    body = fmt.embeddings_response(
        model=req.model,
        vectors=vectors,
        base64_encoded=req.body.get("encoding_format") == "base64",
        usage=_usage(req, lambda: fmt.embeddings_usage(prompt_tokens, state.flavor)),
    )
    if state.flavor == "mistral":  # Mistral's embeddings carry an id, which its SDK requires
        body = {"id": state.ids.next("embd-mock-"), **body}
    return JsonReply(200, body)


def completions(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if "prompt" not in req.body:
        return _missing("prompt")
    if not req.model:
        return _missing("model")
    words = output_words(output_word_count(req.body, DEFAULT_COMPLETION_WORDS))
    counts = compute_counts(plain_input(req.body["prompt"]), req.model, len(words), state.cache)
    usage = _usage(req, lambda: fmt.chat_usage(counts, state.flavor))
    common = {"id": state.ids.next("cmpl-mock-"), "created": int(time.time()), "model": req.model}
    if not req.stream:
        return JsonReply(200, fmt.completion(**common, text=" ".join(words), usage=usage))
    return _sse(_completion_chunks(common, text_chunks(words, _chunks(req)), usage if _include_usage(req) else None))


def _completion_chunks(
    common: dict[str, Any], pieces: list[str], usage: dict[str, Any] | None
) -> Iterator[dict[str, Any]]:
    for piece in pieces:
        yield fmt.completion(**common, text=piece, finish_reason=None)
    yield fmt.completion(**common, text="", finish_reason="stop")
    if usage is not None:
        yield fmt.completion(**common, text="", usage=usage, with_choice=False)


def list_models(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    return JsonReply(200, fmt.models_list())


def get_model(req: MockRequest, state: ServerState, match: re.Match[str]) -> Reply:
    return JsonReply(200, fmt.model_object(match.group(1)))


ROUTES = (
    Route("POST", re.compile(r"/chat/completions"), chat_completions),
    Route("POST", re.compile(r"/responses"), create_response),
    Route("GET", re.compile(r"/responses/([^/]+)"), get_response),
    Route("POST", re.compile(r"/embeddings"), embeddings),
    Route("POST", re.compile(r"/completions"), completions),
    Route("GET", re.compile(r"/models"), list_models),
    Route("GET", re.compile(r"/models/(.+)"), get_model),
)

OPENAI_FORMAT = WireFormat(name="openai", routes=ROUTES, normalize_path=normalize_path, error_reply=error_reply)
