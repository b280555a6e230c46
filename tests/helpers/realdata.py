"""Recorded provider responses (tests/data/realdata_*.jsonl), read by id: the body, its SSE events,
and the shape of the messages content mapping makes of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from genai_cost.content import Message

DATA = Path(__file__).resolve().parent.parent / "data"


def record(name: str) -> dict[str, Any]:
    for file in ("realdata_anthropic.jsonl", "realdata_gemini.jsonl"):
        for line in (DATA / file).read_text().splitlines():
            found = json.loads(line)
            if found["id"] == name:
                return found
    raise KeyError(name)


def body(name: str) -> Any:
    return json.loads(record(name)["body"])


def sse(name: str) -> list[Any]:
    text = record(name)["body"]
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


def shape(messages: list[Message]) -> list[tuple[str, list[tuple[str, int | None]], str | None]]:
    """(role, [(part type, length of its text)], finish reason): the structure without the text."""
    return [
        (m.role, [(p.type, None if p.content is None else len(p.content)) for p in m.parts], m.finish_reason)
        for m in messages
    ]
