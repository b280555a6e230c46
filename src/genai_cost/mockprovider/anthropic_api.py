"""Anthropic Messages API endpoints of the mock provider (flavor ``anthropic``).

Paths: ``/v1/messages`` (``?beta=true`` too), ``/v1/messages/count_tokens``, ``/v1/messages/batches``
(create, retrieve, results), and the same Messages call as Claude on Vertex AI
(``.../publishers/anthropic/models/{model}:rawPredict`` / ``:streamRawPredict``, ``count-tokens:rawPredict``)
and on Bedrock (``/model/{model}/invoke``; its binary event-stream responses are not spoken).

Usage (see :mod:`.tokens` for the base formula; Anthropic reports input WITHOUT cache):

- prompt tokens: ``ceil(len(text)/4) + 4 * messages`` over the ``system`` text and every message;
- prompt cache: the text up to and including the last content block (or system block) that has
  ``cache_control`` is the cached prefix, ``ceil(len(prefix)/4)`` tokens. Its first sight is a cache
  write (1-hour when that block's ``cache_control.ttl`` is ``"1h"``, else 5-minute), a repeat is a
  cache read; ``input_tokens = prompt - read - write``;
- output: ``min(max_tokens, 12)`` words, one token each; with ``thinking`` enabled or adaptive, also
  ``2 * words`` thinking tokens, inside ``output_tokens`` and in ``output_tokens_details``;
- a ``web_search_*`` server tool in ``tools`` makes one web search (``server_tool_use``);
- ``output_config.format`` (structured output) makes the text ``{"answer": "<the words>"}``.

Streams: ``message_start`` carries the input and cache counts with ``output_tokens: 1``, the final
``message_delta`` the cumulative totals. Controls under ``"mock"``: ``usage`` (the usage object, as
is; in a stream it goes on message_start with ``output_tokens: 1``), ``delta_usage`` (a stream's
message_delta usage; default ``{"output_tokens": usage.output_tokens}`` when ``usage`` is given),
``chunks``, ``service_tier``, ``error_after`` (a stream sends that many events, then an in-band
``error`` event, overloaded_error, as the API does when it fails mid-stream).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from . import anthropic_format as fmt
from .core import JsonReply, MockRequest, RawReply, Reply, Route, ServerState, SseEvent, StreamReply, WireFormat
from .tokens import DEFAULT_OUTPUT_WORDS, PromptCache, content_text, count_prompt, output_words, text_chunks

_VERTEX = re.compile(r".*/publishers/anthropic/models/([^/:]+):(rawPredict|streamRawPredict)")
_BEDROCK = re.compile(r"/model/([^/]+)/(invoke|invoke-with-response-stream)")
_CACHE_KEY = "anthropic:"  # the prompt cache is shared with other wire formats of one server


def normalize_path(path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
    """``/v1/messages...`` -> ``/messages...``; Vertex and Bedrock paths -> ``/messages`` and the model."""
    path = path.rstrip("/") or "/"
    match = _VERTEX.fullmatch(path)
    if match:
        model = unquote(match.group(1))
        return ("/messages/count_tokens", None) if model == "count-tokens" else ("/messages", model)
    match = _BEDROCK.fullmatch(path)
    if match:
        return ("/messages" if match.group(2) == "invoke" else "/bedrock-stream"), unquote(match.group(1))
    return (path[3:] or "/", None) if path.startswith("/v1/") else (path, None)


def error_reply(status: int, message: str) -> Reply:
    headers = {"retry-after": "0"} if status == 429 else {}
    return JsonReply(status, fmt.error_body(status, message), headers)


# --- token accounting -------------------------------------------------------------------


def _blocks(content: Any) -> list[Any]:
    return content if isinstance(content, list) else [content]


def _prompt(body: dict[str, Any]) -> tuple[int, str | None, bool]:
    """(prompt tokens, cached prefix text or None, whether the prefix has the 1-hour TTL)."""
    parts: list[tuple[str, Any]] = []  # (text, cache_control) in prompt order
    for block in _blocks(body.get("system") or []):
        parts.append((content_text([block]) if isinstance(block, dict) else content_text(block), _control(block)))
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        for block in _blocks(content):
            parts.append((content_text([block]) if isinstance(block, dict) else content_text(block), _control(block)))
    text = "".join(t for t, _ in parts)
    marked = [i for i, (_, control) in enumerate(parts) if control is not None]
    if not marked:
        return count_prompt(text, len(messages)), None, False
    last = marked[-1]
    prefix = "".join(t for t, _ in parts[: last + 1])
    return count_prompt(text, len(messages)), prefix, parts[last][1].get("ttl") == "1h"


def _control(block: Any) -> dict[str, Any] | None:
    control = block.get("cache_control") if isinstance(block, dict) else None
    return control if isinstance(control, dict) else None


def _cache(cache: PromptCache, prefix: str | None) -> tuple[int, int]:
    """(read, write) tokens of the cached prefix."""
    if prefix is None:
        return 0, 0
    tokens = math.ceil(len(prefix) / 4)
    return (tokens, 0) if cache.remember(_CACHE_KEY + prefix) else (0, tokens)


def _thinks(body: dict[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _searches(body: dict[str, Any]) -> int:
    tools = body.get("tools")
    return int(any(isinstance(t, dict) and str(t.get("type", "")).startswith("web_search") for t in tools or ()))


def _wants_json(body: dict[str, Any]) -> bool:
    config = body.get("output_config")
    return isinstance(config, dict) and isinstance(config.get("format"), dict)


def _word_count(body: dict[str, Any]) -> int:
    value = body.get("max_tokens")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return min(value, DEFAULT_OUTPUT_WORDS)
    return DEFAULT_OUTPUT_WORDS


def _counts(req: MockRequest, state: ServerState, words: int) -> fmt.AnthropicCounts:
    prompt, prefix, one_hour = _prompt(req.body)
    read, write = _cache(state.cache, prefix)
    tier = req.mock.get("service_tier")
    return fmt.AnthropicCounts(
        input_tokens=prompt - read - write,
        cache_read=read,
        cache_write=write,
        cache_write_1h=one_hour,
        visible_tokens=words,
        thinking_tokens=2 * words if _thinks(req.body) else 0,
        web_searches=_searches(req.body),
        service_tier=tier if isinstance(tier, str) else "standard",
    )


def _missing(param: str) -> Reply:
    return error_reply(400, f"{param}: Field required")


# --- handlers ---------------------------------------------------------------------------


def _message_body(req: MockRequest, state: ServerState) -> tuple[dict[str, Any], fmt.AnthropicCounts, list[str]]:
    words = output_words(_word_count(req.body))
    counts = _counts(req, state, len(words))
    override = req.mock.get("usage")
    usage = override if isinstance(override, dict) else fmt.usage(counts)
    thinking = " ".join(output_words(counts.thinking_tokens)) if counts.thinking_tokens else None
    text = " ".join(words)
    if _wants_json(req.body):  # structured output (messages.parse): an object with the reply as "answer"
        text = json.dumps({"answer": text})
    content = fmt.content_blocks(text, thinking, bool(counts.web_searches))
    body = fmt.message(id=state.ids.next("msg_mock_"), model=req.model, content=content, usage=usage)
    return body, counts, words


def create_message(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if not isinstance(req.body.get("messages"), list):
        return _missing("messages")
    if not req.model:
        return _missing("model")
    body, counts, words = _message_body(req, state)
    if not req.stream:
        return JsonReply(200, body)
    chunks = req.mock.get("chunks")
    chunks = chunks if isinstance(chunks, int) and not isinstance(chunks, bool) and chunks > 0 else None
    start_usage, delta = _stream_usages(req, body["usage"])
    thinking = output_words(counts.thinking_tokens)
    events = fmt.stream_events(
        id=body["id"],
        model=req.model,
        thinking_pieces=text_chunks(thinking, chunks),
        text_pieces=text_chunks(words, chunks),
        start_usage=start_usage,
        delta_usage=delta,
    )
    error_after = req.mock.get("error_after")
    if isinstance(error_after, int) and not isinstance(error_after, bool) and error_after >= 0:
        events = _then_error(events, error_after)
    return StreamReply(SseEvent(data, event=name) for name, data in events)


def _then_error(events: Iterator[tuple[str, dict[str, Any]]], count: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """The first `count` events, then an in-band error event, as the API sends when overloaded mid-stream."""
    yield from itertools.islice(events, count)
    yield "error", fmt.error_body(529, "Overloaded")


def _stream_usages(req: MockRequest, final: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """message_start's usage (1 output token so far) and the final message_delta's (cumulative)."""
    start = {k: v for k, v in final.items() if k not in ("output_tokens_details", "server_tool_use")}
    start["output_tokens"] = 1
    delta = req.mock.get("delta_usage")
    if isinstance(delta, dict):
        return start, delta
    delta = {"output_tokens": final.get("output_tokens", 0)}
    if not isinstance(req.mock.get("usage"), dict):  # the current API repeats the other totals too
        names = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
        delta.update({name: final[name] for name in names})
        delta.update({k: v for k, v in final.items() if k in ("output_tokens_details", "server_tool_use")})
    return start, delta


def count_tokens(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    if not isinstance(req.body.get("messages"), list):
        return _missing("messages")
    prompt, _prefix, _ttl = _prompt(req.body)
    return JsonReply(200, {"input_tokens": prompt})


def bedrock_stream(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    return error_reply(400, "The mock provider does not speak Bedrock's binary event stream.")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create_batch(req: MockRequest, state: ServerState, _: re.Match[str]) -> Reply:
    """Every request of the batch is answered at once; results are billed at the batch tier."""
    requests = req.body.get("requests")
    if not isinstance(requests, list) or not requests:
        return _missing("requests")
    results = [_batch_result(item, req, state) for item in requests]
    batch_id = state.ids.next("msgbatch_mock_")
    now = datetime.now(tz=UTC)
    host = req.headers.get("host", "127.0.0.1")
    succeeded = sum(1 for r in results if r["result"]["type"] == "succeeded")
    batch = fmt.batch(
        id=batch_id,
        created_at=_iso(now),
        ended_at=_iso(now),
        expires_at=_iso(now + timedelta(days=1)),
        succeeded=succeeded,
        errored=len(results) - succeeded,
        results_url=f"http://{host}/v1/messages/batches/{batch_id}/results",
    )
    state.responses.put({"id": batch_id, "batch": batch, "results": results})
    return JsonReply(200, batch)


def _batch_result(item: Any, req: MockRequest, state: ServerState) -> dict[str, Any]:
    custom_id = item.get("custom_id") if isinstance(item, dict) else None
    params = item.get("params") if isinstance(item, dict) else None
    if not isinstance(params, dict) or not isinstance(params.get("messages"), list) or not params.get("model"):
        error = fmt.error_body(400, "params: messages and model are required")
        return {"custom_id": custom_id, "result": {"type": "errored", "error": error}}
    inner = MockRequest("POST", req.path, "/messages", {}, req.headers, {**params, "stream": False})
    body = _message_body(inner, state)[0]
    if body["usage"] is not None and "mock" not in params:
        body["usage"]["service_tier"] = "batch"
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": body}}


def get_batch(req: MockRequest, state: ServerState, match: re.Match[str]) -> Reply:
    stored = state.responses.get(match.group(1))
    if stored is None or "batch" not in stored:
        return error_reply(404, f"Batch {match.group(1)!r} not found.")
    return JsonReply(200, stored["batch"])


def batch_results(req: MockRequest, state: ServerState, match: re.Match[str]) -> Reply:
    stored = state.responses.get(match.group(1))
    if stored is None or "results" not in stored:
        return error_reply(404, f"Batch {match.group(1)!r} not found.")
    lines = "".join(json.dumps(result) + "\n" for result in stored["results"])
    return RawReply(200, lines.encode("utf-8"), "application/binary")


ROUTES = (
    Route("POST", re.compile(r"/messages"), create_message),
    Route("POST", re.compile(r"/messages/count_tokens"), count_tokens),
    Route("POST", re.compile(r"/messages/batches"), create_batch),
    Route("GET", re.compile(r"/messages/batches/([^/]+)"), get_batch),
    Route("GET", re.compile(r"/messages/batches/([^/]+)/results"), batch_results),
    Route("POST", re.compile(r"/bedrock-stream"), bedrock_stream),
)

ANTHROPIC_FORMAT = WireFormat(name="anthropic", routes=ROUTES, normalize_path=normalize_path, error_reply=error_reply)
