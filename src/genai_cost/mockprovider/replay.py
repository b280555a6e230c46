"""Replay of recorded provider responses (the JSONL format of ``tests/data/``).

Each line is a record with at least ``id``, ``status``, ``content_type``, ``body`` (the
response text) and ``request`` (with ``stream``). A request carrying
``{"mock": {"replay": "<id>"}}`` gets that record's body byte for byte, with the
recorded status. Replay ignores the request path and flavor, so any provider's record
(Anthropic, Gemini, ...) can be served. A binary body (a Bedrock stream's AWS event-stream
frames) is stored as base64, said by ``source.body_stored_as``, and served decoded.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from .core import RawReply


@dataclass(frozen=True)
class Record:
    id: str
    status: int
    content_type: str
    body: str
    raw: dict[str, Any]


def _content_type(raw: dict[str, Any]) -> str:
    recorded = raw.get("content_type")
    if isinstance(recorded, str) and recorded:
        return recorded
    # Some fixtures did not keep the header; infer it from the request kind.
    request = raw.get("request")
    streamed = isinstance(request, dict) and request.get("stream") is True
    return "text/event-stream" if streamed else "application/json"


def load_records(path: str | os.PathLike[str]) -> dict[str, Record]:
    """Records of a JSONL file by id; blank lines are skipped."""
    records: dict[str, Record] = {}
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            try:
                record = Record(
                    id=raw["id"],
                    status=int(raw.get("status") or 200),
                    content_type=_content_type(raw),
                    body=raw["body"],
                    raw=raw,
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{line_no}: not a replay record: {exc}") from exc
            records[record.id] = record
    return records


def _body_bytes(record: Record) -> bytes:
    source = record.raw.get("source")
    if isinstance(source, dict) and source.get("body_stored_as") == "base64":
        return base64.b64decode(record.body)
    return record.body.encode("utf-8")


def replay_reply(record: Record) -> RawReply:
    return RawReply(record.status, _body_bytes(record), record.content_type)
