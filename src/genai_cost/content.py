"""Prompt and completion text in the GenAI semantic-convention shape, for the opt-in capture.

Provider modules turn their SDK's messages into `Message`s; this module writes the JSON that
`gen_ai.input.messages`, `gen_ai.output.messages` and `gen_ai.system_instructions` hold, with the
text cut to a budget of characters per attribute. Only text is kept: tool calls, images and audio
appear as parts with their type and no content.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple


class Part(NamedTuple):
    type: str = "text"  # semconv part types: text, tool_call, blob, uri, ...
    content: str | None = None  # text only


class Message(NamedTuple):
    role: str
    parts: Sequence[Part] = ()
    finish_reason: str | None = None

    @classmethod
    def text(cls, role: str, text: str, finish_reason: str | None = None) -> Message:
        return cls(role, (Part("text", text),), finish_reason)


class _Budget:
    def __init__(self, chars: int) -> None:
        self.left = chars
        self.truncated = False

    def take(self, text: str) -> str:
        if len(text) > self.left:
            text, self.truncated = text[: self.left], True
        self.left -= len(text)
        return text


def _part(part: Part, budget: _Budget) -> dict[str, Any]:
    if part.content is None:
        return {"type": part.type}
    return {"type": part.type, "content": budget.take(part.content)}


def messages_json(messages: Sequence[Message], max_chars: int) -> tuple[str, bool]:
    """(JSON of the messages, whether text was cut to fit `max_chars` characters)."""
    budget = _Budget(max_chars)
    out = []
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "parts": [_part(p, budget) for p in message.parts]}
        if message.finish_reason:
            item["finish_reason"] = message.finish_reason
        out.append(item)
    return json.dumps(out, ensure_ascii=False), budget.truncated


def parts_json(parts: Sequence[Part], max_chars: int) -> tuple[str, bool]:
    """(JSON of system-instruction parts, whether text was cut)."""
    budget = _Budget(max_chars)
    return json.dumps([_part(p, budget) for p in parts], ensure_ascii=False), budget.truncated
