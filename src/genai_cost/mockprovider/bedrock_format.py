"""Pure builders of Bedrock Runtime bodies and of the AWS event-stream binary framing.

An event-stream message (``application/vnd.amazon.eventstream``) is: total length (4 bytes, big
endian), headers length (4), CRC32 of those 8 bytes, the headers, the payload, and the CRC32 of
everything before it. A header is a 1-byte name length, the name, the value type (7: string), a
2-byte value length and the value. Events carry ``:message-type`` ``event`` with ``:event-type``
naming the union member; errors carry ``exception`` with ``:exception-type``. botocore decodes
and checks both CRCs, so tests decode these frames with the real client.

Shapes follow the Bedrock Runtime API reference (Converse, ConverseStream, InvokeModel,
InvokeModelWithResponseStream) and the model families' InvokeModel bodies.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from typing import Any

CONTENT_TYPE = "application/vnd.amazon.eventstream"
INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"
# HTTP status -> Bedrock's error code (the x-amzn-ErrorType header botocore reads).
ERROR_TYPES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}


def error_type(status: int) -> str:
    return ERROR_TYPES.get(status, "InternalServerException" if status >= 500 else "ValidationException")


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message."""
    head = b"".join(_header(name, value) for name, value in headers.items())
    prelude = struct.pack(">II", 16 + len(head) + len(payload), len(head))
    message = prelude + struct.pack(">I", binascii.crc32(prelude)) + head + payload
    return message + struct.pack(">I", binascii.crc32(message))


def event(event_type: str, data: dict[str, Any]) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(data, separators=(",", ":")).encode())


def chunk(data: dict[str, Any]) -> bytes:
    """An InvokeModelWithResponseStream event: the model's JSON, base64 under ``bytes``."""
    return event("chunk", {"bytes": base64.b64encode(json.dumps(data).encode()).decode()})


def exception(status: int, message: str) -> bytes:
    """An in-stream error, as Bedrock sends when a model fails mid-stream (e.g. throttlingException)."""
    name = error_type(status)
    headers = {":exception-type": name[0].lower() + name[1:], ":content-type": "application/json",
               ":message-type": "exception"}  # fmt: skip
    return frame(headers, json.dumps({"message": message}).encode())


def converse_usage(uncached: int, output: int, read: int, write: int) -> dict[str, int]:
    """Converse's TokenUsage: ``inputTokens`` without the cache; ``totalTokens`` the sum of all."""
    usage = {"inputTokens": uncached, "outputTokens": output, "totalTokens": uncached + output + read + write}
    if read or write:
        usage.update(cacheReadInputTokens=read, cacheWriteInputTokens=write)
    return usage


def converse(text: str, usage: dict[str, Any], stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": usage,
        "metrics": {"latencyMs": 42},
    }


def converse_stream(pieces: list[str], usage: dict[str, Any], stop_reason: str = "end_turn") -> list[bytes]:
    frames = [event("messageStart", {"role": "assistant"})]
    frames += [event("contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0}) for piece in pieces]
    frames += [
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": stop_reason}),
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 42}}),
    ]
    return frames


def metrics(uncached: int, output: int, read: int = 0, write: int = 0) -> dict[str, int]:
    """``amazon-bedrock-invocationMetrics``, on the last chunk of every InvokeModel stream."""
    found = {"inputTokenCount": uncached, "outputTokenCount": output, "invocationLatency": 42, "firstByteLatency": 7}
    if read or write:
        found.update(cacheReadInputTokenCount=read, cacheWriteInputTokenCount=write)
    return found


def token_headers(uncached: int, output: int, read: int = 0, write: int = 0) -> dict[str, str]:
    """The token counts Bedrock adds to every InvokeModel response."""
    headers = {
        "X-Amzn-Bedrock-Input-Token-Count": str(uncached),
        "X-Amzn-Bedrock-Output-Token-Count": str(output),
        "X-Amzn-Bedrock-Invocation-Latency": "42",
    }
    if read or write:
        headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(read)
        headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(write)
    return headers
