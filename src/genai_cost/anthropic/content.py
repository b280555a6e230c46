"""Anthropic messages as GenAI semantic-convention content, for the opt-in capture.

Pure translation: a Messages API request body, a `Message` or a stream's events in; `content.Message`
and `content.Part` out (works on the SDK's models and on plain dicts of the same shape). Called only
when the user opted in to content capture (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).

Block types map to semconv part types: text -> text; thinking -> reasoning (its text is kept: it is
model output the user opted in to see); redacted_thinking -> reasoning without content; tool_use and
server_tool_use -> tool_call, tool_result and the server tools' *_tool_result blocks ->
tool_call_response (neither with their arguments or results); images and documents -> blob, uri or
file by their source. Stop reasons become the semconv finish reasons (end_turn -> stop, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost.content import Message, Part
from genai_cost.fields import field

_TOOL_CALLS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})
# The SDK's source types of image and document blocks -> semconv part types.
_SOURCES = {"base64": "blob", "url": "uri", "file": "file", "text": "text", "content": "text"}
# Stop reasons -> semconv finish reasons; others (pause_turn, ...) are kept as they are.
_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_call",
    "refusal": "content_filter",
}


def finish_reason(stop_reason: Any) -> str | None:
    return _FINISH_REASONS.get(stop_reason, stop_reason) if isinstance(stop_reason, str) else None


def block_part(block: Any) -> Part:
    """One content block (a string is a text block)."""
    if isinstance(block, str):
        return Part("text", block)
    kind = field(block, "type")
    if kind == "text":
        text = field(block, "text")
        return Part("text", text if isinstance(text, str) else None)
    if kind == "thinking":
        thinking = field(block, "thinking")
        return Part("reasoning", thinking if isinstance(thinking, str) else None)
    if kind == "redacted_thinking":
        return Part("reasoning")
    if kind in _TOOL_CALLS:
        return Part("tool_call")
    if kind == "tool_result" or (isinstance(kind, str) and kind.endswith("_tool_result")):
        return Part("tool_call_response")
    if kind in ("image", "document"):
        return Part(_SOURCES.get(field(field(block, "source"), "type"), "blob"))
    return Part(str(kind or "generic"))


def _parts(content: Any) -> tuple[Part, ...]:
    if isinstance(content, str):
        return (Part("text", content),)
    return tuple(block_part(block) for block in content or ())


def request_content(body: Mapping[str, Any]) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of a Messages API request body."""
    messages = body.get("messages")
    inputs = [
        Message(str(field(m, "role") or "user"), _parts(field(m, "content")))
        for m in (messages if isinstance(messages, list | tuple) else ())
    ]
    system = body.get("system")
    return inputs, list(_parts(system)) if isinstance(system, str | list | tuple) else []


def response_content(message: Any) -> list[Message]:
    """The output message of a Message (or BetaMessage, parsed or not)."""
    parts = _parts(field(message, "content"))
    if not parts:
        return []
    return [Message(str(field(message, "role") or "assistant"), parts, finish_reason(field(message, "stop_reason")))]


class StreamContent:
    """A stream's output message, rebuilt from its content_block_start / _delta events."""

    def __init__(self) -> None:
        self.blocks: dict[int, tuple[str, list[str]]] = {}  # index -> (part type, text pieces)
        self.stop_reason: str | None = None

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "content_block_start":
            part = block_part(field(event, "content_block"))
            self.blocks[field(event, "index") or 0] = (part.type, [part.content] if part.content else [])
        elif kind == "content_block_delta":
            delta = field(event, "delta")
            text = field(delta, "text") if field(delta, "type") == "text_delta" else field(delta, "thinking")
            block = self.blocks.get(field(event, "index") or 0)
            if block is not None and isinstance(text, str):
                block[1].append(text)
        elif kind == "message_delta":
            self.stop_reason = field(field(event, "delta"), "stop_reason") or self.stop_reason

    def messages(self) -> list[Message]:
        if not self.blocks:
            return []
        parts = tuple(
            Part(kind, "".join(pieces) if kind == "text" or pieces else None)
            for kind, pieces in (self.blocks[i] for i in sorted(self.blocks))
        )
        return [Message("assistant", parts, finish_reason(self.stop_reason))]
