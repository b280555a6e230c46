"""Content mapping for the openai SDK, for the opt-in capture: requests, responses and streams as
semconv messages (Chat Completions and legacy Completions; the Responses API's `responses_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost.content import Message, Part
from genai_cost.fields import count, field

_TERMINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})


def _parts(value: Any) -> list[Part]:
    """A message's content: a string, or a list of typed parts (only text is kept)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [Part("text", value)]
    parts = []
    for part in value if isinstance(value, list | tuple) else ():
        kind = field(part, "type") or "text"
        text = field(part, "text")
        if kind in _TEXT_PART_TYPES and isinstance(text, str):
            parts.append(Part("text", text))
        else:
            parts.append(Part(str(kind)))
    return parts


def _message(item: Any, finish_reason: str | None = None) -> Message:
    parts = _parts(field(item, "content"))
    parts += [Part("tool_call") for _ in field(item, "tool_calls") or ()]
    return Message(str(field(item, "role") or "user"), tuple(parts), finish_reason)


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of a chat.completions or completions request."""
    prompt = kwargs.get("prompt")
    if isinstance(prompt, str):  # legacy completions
        return [Message.text("user", prompt)], []
    messages = kwargs.get("messages")
    return [_message(m) for m in messages if field(m, "role")] if isinstance(messages, list | tuple) else [], []


def responses_request_content(kwargs: Mapping[str, Any]) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of a responses.create request."""
    items = kwargs.get("input")
    if isinstance(items, str):
        messages = [Message.text("user", items)]
    elif isinstance(items, list | tuple):
        messages = [_message(item) for item in items if field(item, "role")]
    else:
        messages = []
    instructions = kwargs.get("instructions")
    return messages, [Part("text", instructions)] if isinstance(instructions, str) else []


def response_content(completion: Any) -> list[Message]:
    """Output messages of a ChatCompletion (or a legacy Completion's text choices)."""
    out = []
    for choice in field(completion, "choices") or ():
        reason = field(choice, "finish_reason")
        message = field(choice, "message")
        if message is not None:
            out.append(_message(message, reason))
        elif isinstance(field(choice, "text"), str):
            out.append(Message.text("assistant", field(choice, "text"), reason))
    return out


def responses_response_content(response: Any) -> list[Message]:
    """Output messages of a Responses API Response: its message items, and tool calls as parts."""
    parts: list[Part] = []
    for item in field(response, "output") or ():
        kind = field(item, "type")
        if kind == "message":
            parts += _parts(field(item, "content"))
        elif kind and kind.endswith("_call"):
            parts.append(Part("tool_call"))
    status = field(response, "status")
    return [Message("assistant", tuple(parts), status)] if parts else []


class StreamContent:
    """The text of a chat (or legacy completions) stream, per choice, from its chunks."""

    def __init__(self) -> None:
        self.texts: dict[int, list[str]] = {}
        self.finish_reasons: dict[int, str] = {}

    def add(self, chunk: Any) -> None:
        for choice in field(chunk, "choices") or ():
            index = count(choice, "index")
            delta = field(choice, "delta")
            text = field(delta, "content") if delta is not None else field(choice, "text")
            if isinstance(text, str):
                self.texts.setdefault(index, []).append(text)
            if field(choice, "finish_reason"):
                self.finish_reasons[index] = field(choice, "finish_reason")

    def messages(self) -> list[Message]:
        return [
            Message.text("assistant", "".join(self.texts.get(i, ())), self.finish_reasons.get(i))
            for i in sorted(self.texts.keys() | self.finish_reasons.keys())
        ]


class ResponsesStreamContent:
    """The output of a Responses API stream: its terminal event carries the whole response."""

    def __init__(self) -> None:
        self.response: Any = None

    def add(self, event: Any) -> None:
        if field(event, "type") in _TERMINAL_RESPONSE_EVENTS:
            self.response = field(event, "response")

    def messages(self) -> list[Message]:
        return responses_response_content(self.response) if self.response is not None else []
