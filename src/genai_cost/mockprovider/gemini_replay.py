"""Replay of recorded Gemini and Vertex AI bodies, in the encoding the client asked for.

A recorded JSON-array stream sent to an SSE request is re-framed as one event per array item;
integer-encoded enums (Vertex ``$alt=json;enum-encoding=int``) are sent by name unless the request
asks for integers: the same message in the encoding the client asked for.
"""

from __future__ import annotations

import json
from typing import Any

from .core import MockRequest, RawReply, Reply, SseEvent, StreamReply

# Integer enum encodings of google.cloud.aiplatform.v1beta1 (content.proto, prediction_service.proto).
_INT_ENUMS: dict[str, tuple[str, ...]] = {
    "finishReason": (
        "FINISH_REASON_UNSPECIFIED", "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "BLOCKLIST",
        "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL",
    ),
    "modality": ("MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "VIDEO", "AUDIO", "DOCUMENT"),
    "trafficType": ("TRAFFIC_TYPE_UNSPECIFIED", "ON_DEMAND", "PROVISIONED_THROUGHPUT"),
}  # fmt: skip


def enums_by_name(value: Any) -> Any:
    """Integer-encoded Vertex AI enums (finishReason, modality, trafficType) replaced by their names."""
    if isinstance(value, list):
        return [enums_by_name(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        names = _INT_ENUMS.get(key)
        if names is not None and isinstance(item, int) and not isinstance(item, bool) and 0 <= item < len(names):
            out[key] = names[item]
        else:
            out[key] = enums_by_name(item)
    return out


def replay(req: MockRequest, record: Any) -> Reply:
    """A recorded body as the client asked for it: SSE or JSON, enums by name or by number."""
    wants_ints = "enum-encoding=int" in req.query.get("$alt", "")
    wants_sse = req.query.get("alt") == "sse"
    body = record.body
    parsed: Any = None
    if not wants_ints or wants_sse:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None  # an SSE body: sent as recorded
    if parsed is not None and not wants_ints:
        fixed = enums_by_name(parsed)
        if fixed != parsed:
            parsed = fixed
            body = json.dumps(fixed)
    if wants_sse and isinstance(parsed, list) and record.status == 200:
        return StreamReply(SseEvent(item) for item in parsed)
    return RawReply(record.status, body.encode("utf-8"), record.content_type)
