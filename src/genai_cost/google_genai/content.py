"""google-genai contents as GenAI semantic-convention content, for the opt-in capture.

Pure translation: a request's `contents` and `config.system_instruction`, a `GenerateContentResponse`
or a stream's chunks in; `content.Message` and `content.Part` out. Works on the SDK's types and on
plain dicts in either spelling (snake_case or the REST API's camelCase). Called only when the user
opted in to content capture (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).

`contents` takes the shapes the SDK accepts: a string, a Content, a Part, or a list of them; loose
strings and parts next to each other make one user message, as the SDK sends them. Roles: user ->
user, model -> assistant, function/tool -> tool. Parts: text -> text, a thought (`thought: true`) ->
reasoning (its text kept: model output the user opted in to see), function_call / executable_code ->
tool_call and function_response / code_execution_result -> tool_call_response (neither with its
arguments or result), inline data -> blob, file data -> uri. Finish reasons become the semconv ones
(STOP -> stop, MAX_TOKENS -> length, safety stops -> content_filter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost.content import Message, Part
from genai_cost.fields import field, field_of

_ROLES = {"user": "user", "model": "assistant", "function": "tool", "tool": "tool", "system": "system"}
# (snake_case field, camelCase field, semconv part type): non-text parts, by the field they set.
_PART_KINDS = (
    ("function_call", "functionCall", "tool_call"),
    ("function_response", "functionResponse", "tool_call_response"),
    ("executable_code", "executableCode", "tool_call"),
    ("code_execution_result", "codeExecutionResult", "tool_call_response"),
    ("tool_call", "toolCall", "tool_call"),
    ("tool_response", "toolResponse", "tool_call_response"),
    ("inline_data", "inlineData", "blob"),
    ("file_data", "fileData", "uri"),
)
_CONTENT_FILTERS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"}
)
_FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length", "MALFORMED_FUNCTION_CALL": "error"}


def finish_reason(value: Any) -> str | None:
    name = getattr(value, "value", value)
    if not isinstance(name, str) or not name or name == "FINISH_REASON_UNSPECIFIED":
        return None
    name = name.upper()
    return "content_filter" if name in _CONTENT_FILTERS else _FINISH_REASONS.get(name, name.lower())


def part(value: Any) -> Part:
    """One part: a string, a types.Part or a dict; anything else the SDK accepts (an uploaded File,
    an image) is media."""
    if isinstance(value, str):
        return Part("text", value)
    text = field(value, "text")
    if isinstance(text, str):
        return Part("reasoning" if field(value, "thought") is True else "text", text)
    for snake, camel, kind in _PART_KINDS:
        if field_of(value, snake, camel) is not None:
            return Part(kind)
    if field(value, "uri") is not None:  # an uploaded types.File
        return Part("file")
    return Part("blob" if not isinstance(value, Mapping) else "generic")


def _is_content(value: Any) -> bool:
    return not isinstance(value, str) and (field(value, "parts") is not None or field(value, "role") is not None)


def _message(content: Any, default_role: str = "user") -> Message:
    role = field(content, "role")
    parts = tuple(part(p) for p in field(content, "parts") or ())
    return Message(_ROLES.get(role, str(role)) if role else default_role, parts)


def request_messages(contents: Any) -> list[Message]:
    """The input messages of `contents`, in any shape `generate_content` accepts."""
    if contents is None:
        return []
    items = contents if isinstance(contents, list | tuple) else [contents]
    messages: list[Message] = []
    loose: list[Part] = []  # strings and parts between contents: one user message
    for item in items:
        if _is_content(item):
            if loose:
                messages.append(Message("user", tuple(loose)))
                loose = []
            messages.append(_message(item))
        elif isinstance(item, list | tuple):
            loose.extend(part(p) for p in item)
        else:
            loose.append(part(item))
    if loose:
        messages.append(Message("user", tuple(loose)))
    return messages


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Message], list[Part]]:
    """(input messages, system instructions) of a generate_content request's keyword arguments."""
    return request_messages(kwargs.get("contents")), system_instructions(kwargs.get("config"))


def system_instructions(config: Any) -> list[Part]:
    """`config.system_instruction`: a string, a Part, a Content or a list of strings and parts."""
    value = field_of(config, "system_instruction", "systemInstruction")
    if value is None:
        return []
    if _is_content(value):
        return list(_message(value, "system").parts)
    return [part(p) for p in (value if isinstance(value, list | tuple) else [value])]


def response_content(response: Any) -> list[Message]:
    """One output message per candidate of a GenerateContentResponse."""
    out = []
    for candidate in field(response, "candidates") or ():
        content = field(candidate, "content")
        parts = tuple(part(p) for p in field(content, "parts") or ())
        reason = finish_reason(field_of(candidate, "finish_reason", "finishReason"))
        if parts or reason:
            out.append(Message("assistant", parts, reason))
    return out


class StreamContent:
    """A stream's output messages, per candidate, from its chunks; adjacent text pieces joined."""

    def __init__(self) -> None:
        self.parts: dict[int, list[Part]] = {}
        self.finish_reasons: dict[int, str] = {}

    def add(self, chunk: Any) -> None:
        for candidate in field(chunk, "candidates") or ():
            index = field(candidate, "index") or 0
            parts = self.parts.setdefault(index, [])
            for new in (part(p) for p in field(field(candidate, "content"), "parts") or ()):
                last = parts[-1] if parts else None
                if last is not None and last.type == new.type and last.content is not None and new.content is not None:
                    parts[-1] = Part(new.type, last.content + new.content)
                else:
                    parts.append(new)
            reason = finish_reason(field_of(candidate, "finish_reason", "finishReason"))
            if reason:
                self.finish_reasons[index] = reason

    def messages(self) -> list[Message]:
        return [
            Message("assistant", tuple(self.parts.get(i, ())), self.finish_reasons.get(i))
            for i in sorted(self.parts.keys() | self.finish_reasons.keys())
        ]
