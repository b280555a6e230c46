"""Pure builders of Gemini API bodies: errors in Google's shape, `usageMetadata`, and the
`functionCall` part answering a request that declares functions (see gemini_api.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}


def usage_metadata(prompt: int, cached: int, candidates: int, thoughts: int, flavor: str) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates + thoughts,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
    }
    if cached:
        usage["cachedContentTokenCount"] = cached
        usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if flavor == "vertex":
        usage["trafficType"] = "ON_DEMAND"
    return usage


_SAMPLE_ARGS = {"STRING": "mock", "INTEGER": 1, "NUMBER": 1.5, "BOOLEAN": True}


def function_call(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """A functionCall part when the request declares functions and has not answered one yet."""
    contents = body.get("contents")
    last = contents[-1] if isinstance(contents, list) and contents else None
    if isinstance(last, dict) and any(isinstance(p, dict) and "functionResponse" in p for p in last.get("parts") or ()):
        return None
    for tool in body.get("tools") or ():
        for declaration in (tool.get("functionDeclarations") or ()) if isinstance(tool, dict) else ():
            schema = (
                declaration.get("parameters")
                or declaration.get("parametersJsonSchema")
                or declaration.get("parameters_json_schema")  # as google-genai sends it for Python functions
                or {}
            )
            properties = schema.get("properties") or {}
            args = {
                name: _SAMPLE_ARGS.get(str(prop.get("type", "STRING")).upper(), "mock")
                for name, prop in properties.items()
            }
            return {"functionCall": {"name": declaration.get("name"), "args": args}}
    return None
