"""Bedrock Runtime endpoints of the mock provider (flavor ``bedrock``), as boto3's ``bedrock-runtime``
client calls them: ``/model/{modelId}/converse``, ``/converse-stream``, ``/invoke`` and
``/invoke-with-response-stream``. Streams use the AWS event-stream binary framing (see
:mod:`.bedrock_format`). Point a client at it with ``endpoint_url=mock.root_url`` and any credentials.

Usage (see :mod:`.tokens` for the base formula; Bedrock reports input WITHOUT the cache):

- Converse and Amazon Nova bodies: prompt tokens ``ceil(len(text)/4) + 4 * messages`` over the
  ``system`` and message text blocks. The text up to the last ``cachePoint`` block is the cached
  prefix, ``ceil(len(prefix)/4)`` tokens: written at first sight, read when repeated;
  ``inputTokens = prompt - read - write``. Output: ``inferenceConfig.maxTokens`` words (default 12).
- InvokeModel by model family (the id's ARN and geographic prefix are ignored): ``anthropic.``
  answers as the Messages API does (:mod:`.anthropic_api`, with Bedrock's stream chunks); ``amazon.nova``
  as above with Nova's body; ``meta.`` (Llama: ``prompt``, ``max_gen_len``) and ``mistral.`` (``prompt``,
  ``max_tokens``) count the prompt string; ``amazon.titan-embed`` counts ``inputText``. Every InvokeModel
  reply carries the ``X-Amzn-Bedrock-*-Token-Count`` headers, every stream's last chunk the
  ``amazon-bedrock-invocationMetrics``; Mistral bodies carry no usage of their own, as on Bedrock.

Controls under ``"mock"`` (Converse: inside ``additionalModelRequestFields``): ``usage`` (Converse's
usage object, as is), ``error_after`` (a stream sends that many events, then an in-stream
``throttlingException``), and the server-wide ``error`` / ``replay`` / ``cut_after``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from . import anthropic_api
from . import bedrock_format as fmt
from .core import JsonReply, MockRequest, Reply, Route, ServerState, StreamReply, WireFormat
from .tokens import DEFAULT_OUTPUT_WORDS, content_text, count_prompt, output_words, text_chunks

_PATH = re.compile(r"/model/(.+)/(converse|converse-stream|invoke|invoke-with-response-stream)")
_GEOGRAPHIES = frozenset({"us", "eu", "apac", "global", "us-gov", "jp", "au", "ca", "in"})
_CACHE_KEY = "bedrock:"


def normalize_path(path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
    """``/model/{modelId}/{operation}`` -> (``/{operation}``, the model id, URL-decoded)."""
    match = _PATH.fullmatch(path.rstrip("/"))
    if match is None:
        return path, None
    return "/" + match.group(2), unquote(match.group(1))


def error_reply(status: int, message: str) -> Reply:
    return JsonReply(status, {"message": message}, {"x-amzn-ErrorType": fmt.error_type(status)})


def family(model: str) -> str:
    """``arn:...:inference-profile/us.meta.llama3-...`` -> ``meta``; ``amazon.nova-lite-v1:0`` -> ``amazon.nova``."""
    name = model.rsplit("/", 1)[-1]
    parts = name.split(".")
    if len(parts) > 2 and parts[0] in _GEOGRAPHIES:
        parts = parts[1:]
    if parts[0] == "amazon" and len(parts) > 1:
        return "amazon.titan-embed" if parts[1].startswith("titan-embed") else "amazon." + parts[1].split("-")[0]
    return parts[0]


# --- token accounting ------------------------------------------------------------------------


def _blocks(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _converse_prompt(body: Mapping[str, Any]) -> tuple[int, str | None]:
    """(prompt tokens, cached prefix or None) of Converse-shaped ``system`` and ``messages``."""
    blocks = list(_blocks(body.get("system")))
    messages = _blocks(body.get("messages"))
    for message in messages:
        blocks += _blocks(message.get("content")) if isinstance(message, dict) else []
    texts = [content_text([block]) for block in blocks]
    marks = [i for i, block in enumerate(blocks) if isinstance(block, dict) and "cachePoint" in block]
    prefix = "".join(texts[: marks[-1]]) if marks else None
    return count_prompt("".join(texts), len(messages)), prefix


def _cache(state: ServerState, prefix: str | None) -> tuple[int, int]:
    """(read, write) tokens of the cached prefix."""
    if not prefix:
        return 0, 0
    tokens = math.ceil(len(prefix) / 4)
    return (tokens, 0) if state.cache.remember(_CACHE_KEY + prefix) else (0, tokens)


def _words(config: Any, *keys: str) -> list[str]:
    for key in keys:
        value = config.get(key) if isinstance(config, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return output_words(min(value, DEFAULT_OUTPUT_WORDS))
    return output_words(DEFAULT_OUTPUT_WORDS)


def _converse_counts(req: MockRequest, state: ServerState) -> tuple[list[str], int, int, int]:
    """(output words, uncached input, cache read, cache write)."""
    prompt, prefix = _converse_prompt(req.body)
    read, write = _cache(state, prefix)
    words = _words(req.body.get("inferenceConfig"), "maxTokens", "max_new_tokens")
    return words, prompt - read - write, read, write


# --- Converse ------------------------------------------------------------------------------


def _converse_usage(req: MockRequest, words: list[str], uncached: int, read: int, write: int) -> dict[str, Any]:
    forced = req.mock.get("usage")
    return forced if isinstance(forced, dict) else fmt.converse_usage(uncached, len(words), read, write)


def converse(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if not isinstance(req.body.get("messages"), list):
        return error_reply(400, "messages: Field required")
    words, uncached, read, write = _converse_counts(req, state)
    usage = _converse_usage(req, words, uncached, read, write)
    if not req.route.endswith("-stream"):
        return JsonReply(200, fmt.converse(" ".join(words), usage))
    return _stream(req, fmt.converse_stream(text_chunks(words), usage))


def _stream(req: MockRequest, frames: Iterable[bytes]) -> StreamReply:
    error_after = req.mock.get("error_after")
    if isinstance(error_after, int) and not isinstance(error_after, bool) and error_after >= 0:
        frames = [*list(frames)[:error_after], fmt.exception(429, "Too many tokens, please wait (mock error).")]
    return StreamReply(frames, content_type=fmt.CONTENT_TYPE)


# --- InvokeModel ---------------------------------------------------------------------------


def invoke(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    streams = req.route.endswith("-stream")
    kind = family(req.model)
    if kind == "anthropic":
        return _anthropic(req, state, streams)
    if kind == "amazon.nova":
        return _nova(req, state, streams)
    if kind in ("meta", "mistral"):
        return _prompt_family(req, kind, streams)
    if kind == "amazon.titan-embed" and not streams:
        tokens = count_prompt(str(req.body.get("inputText") or ""))
        return JsonReply(200, {"embedding": [0.1] * 8, "inputTextTokenCount": tokens}, fmt.token_headers(tokens, 0))
    return error_reply(400, f"The mock provider does not speak the InvokeModel body of {req.model!r}.")


def _nova(req: MockRequest, state: ServerState, streams: bool) -> Reply:
    """Amazon Nova: Converse's request shape in, its own body (cache counts named ``...TokenCount``) out."""
    words, uncached, read, write = _converse_counts(req, state)
    usage = fmt.converse_usage(uncached, len(words), 0, 0)
    usage.update(totalTokens=uncached + len(words) + read + write, cacheReadInputTokenCount=read,
                 cacheWriteInputTokenCount=write)  # fmt: skip
    if not streams:
        headers = fmt.token_headers(uncached, len(words), read, write)
        return JsonReply(200, fmt.converse(" ".join(words), usage), headers)
    chunks: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    chunks += [{"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}} for p in text_chunks(words)]
    chunks += [{"messageStop": {"stopReason": "end_turn"}}, {"metadata": {"usage": usage}}]
    return _chunk_stream(req, chunks, fmt.metrics(uncached, len(words), read, write))


def _chunk_stream(req: MockRequest, chunks: list[dict[str, Any]], metrics: dict[str, int]) -> StreamReply:
    """Chunks of an InvokeModel stream; the last one carries the invocation metrics."""
    chunks[-1] = {**chunks[-1], fmt.INVOCATION_METRICS: metrics}
    return _stream(req, [fmt.chunk(c) for c in chunks])


def _prompt_family(req: MockRequest, kind: str, streams: bool) -> Reply:
    """Meta Llama and Mistral: a prompt string in; Llama reports its counts, Mistral only headers."""
    prompt = count_prompt(str(req.body.get("prompt") or ""))
    words = _words(req.body, "max_gen_len" if kind == "meta" else "max_tokens")
    pieces = text_chunks(words)
    if kind == "meta":
        chunks: list[dict[str, Any]] = [
            {"generation": piece, "prompt_token_count": prompt if i == 0 else None, "generation_token_count": i + 1,
             "stop_reason": "stop" if i == len(pieces) - 1 else None}
            for i, piece in enumerate(pieces)
        ]  # fmt: skip
        whole = {"generation": " ".join(words), "prompt_token_count": prompt,
                 "generation_token_count": len(words), "stop_reason": "stop"}  # fmt: skip
    else:
        chunks = [{"outputs": [{"text": piece, "stop_reason": None}]} for piece in pieces]
        chunks[-1]["outputs"][0]["stop_reason"] = "stop"
        whole = {"outputs": [{"text": " ".join(words), "stop_reason": "stop"}]}
    if streams:
        return _chunk_stream(req, chunks, fmt.metrics(prompt, len(words)))
    return JsonReply(200, whole, fmt.token_headers(prompt, len(words)))


def _anthropic(req: MockRequest, state: ServerState, streams: bool) -> Reply:
    """Claude on Bedrock: the Messages API's body, its stream events as chunks with metrics at the end."""
    inner = dataclasses.replace(req, body={**req.body, "stream": streams}, route="/messages")
    reply = anthropic_api.create_message(inner, state, re.match("", ""))  # type: ignore[arg-type]
    if isinstance(reply, JsonReply) and reply.status == 200:
        usage = reply.body["usage"]
        counts = (usage["input_tokens"], usage["output_tokens"], usage["cache_read_input_tokens"],
                  usage["cache_creation_input_tokens"])  # fmt: skip
        return JsonReply(200, reply.body, fmt.token_headers(*counts))
    if not isinstance(reply, StreamReply):
        return reply
    return _stream(req, _anthropic_chunks(reply.events))


def _anthropic_chunks(events: Iterable[Any]) -> Iterator[bytes]:
    start: dict[str, Any] = {}
    for item in events:
        data = item.data
        if data.get("type") == "message_start":
            start = data["message"]["usage"]
        elif data.get("type") == "message_delta":
            start = {**start, **data["usage"]}
        elif data.get("type") == "message_stop":
            counts = (start.get("input_tokens", 0), start.get("output_tokens", 0),
                      start.get("cache_read_input_tokens", 0), start.get("cache_creation_input_tokens", 0))  # fmt: skip
            data = {**data, fmt.INVOCATION_METRICS: fmt.metrics(*counts)}
        if data.get("type") != "ping":
            yield fmt.chunk(data)


ROUTES = (
    Route("POST", re.compile(r"/converse"), converse),
    Route("POST", re.compile(r"/converse-stream"), converse),
    Route("POST", re.compile(r"/invoke"), invoke),
    Route("POST", re.compile(r"/invoke-with-response-stream"), invoke),
)

BEDROCK_FORMAT = WireFormat(name="bedrock", routes=ROUTES, normalize_path=normalize_path, error_reply=error_reply)
