"""Bedrock Converse messages as GenAI semantic-convention content, for the opt-in capture.

Pure translation of Converse's request parameters, response and stream events (dicts from
botocore). Content blocks map to semconv part types: text -> text, reasoningContent -> reasoning,
toolUse -> tool_call, toolResult -> tool_call_response, image/document/video -> blob; cache points
are markers, not content. InvokeModel bodies are the model family's own and are not captured.
"""

from __future__ import annotations

from typing import Any

from genai_cost.content import Message, Part
from genai_cost.fields import field

_KINDS = {"toolUse": "tool_call", "toolResult": "tool_call_response", "image": "blob", "document": "blob",
          "video": "blob"}  # fmt: skip
_FINISH_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_call",
                   "guardrail_intervened": "content_filter", "content_filtered": "content_filter"}  # fmt: skip


def finish_reason(stop_reason: Any) -> str | None:
    return _FINISH_REASONS.get(stop_reason, stop_reason) if isinstance(stop_reason, str) else None


def _part(block: Any) -> Part | None:
    if not isinstance(block, dict) or "cachePoint" in block:
        return None
    if "text" in block:
        text = block["text"]
        return Part("text", text if isinstance(text, str) else None)
    if "reasoningContent" in block:
        return Part("reasoning", field(field(block["reasoningContent"], "reasoningText"), "text"))
    kind = next(iter(block), "generic")
    return Part(_KINDS.get(kind, kind))


def _parts(blocks: Any) -> tuple[Part, ...]:
    return tuple(part for block in blocks or () if (part := _part(block)) is not None)


def request_content(params: Any) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of Converse's parameters."""
    messages = field(params, "messages")
    inputs = [Message(str(field(m, "role") or "user"), _parts(field(m, "content"))) for m in messages or ()]
    return inputs, list(_parts(field(params, "system")))


def response_content(response: Any) -> list[Message]:
    message = field(field(response, "output"), "message")
    parts = _parts(field(message, "content"))
    if not parts:
        return []
    return [Message(str(field(message, "role") or "assistant"), parts, finish_reason(field(response, "stopReason")))]


class StreamContent:
    """A ConverseStream's output message, rebuilt from its contentBlockDelta text."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.stop_reason: str | None = None

    def add(self, event: Any) -> None:
        delta = field(field(event, "contentBlockDelta"), "delta")
        text = field(delta, "text")
        if isinstance(text, str):
            self.text.append(text)
        stop = field(field(event, "messageStop"), "stopReason")
        self.stop_reason = stop if isinstance(stop, str) else self.stop_reason

    def messages(self) -> list[Message]:
        if not self.text:
            return []
        return [Message("assistant", (Part("text", "".join(self.text)),), finish_reason(self.stop_reason))]
