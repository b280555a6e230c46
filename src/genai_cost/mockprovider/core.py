"""Types shared by the HTTP plumbing and the wire formats.

A wire format (OpenAI now; Anthropic and Gemini later) is a set of routes whose handlers
turn a parsed :class:`MockRequest` into a :class:`Reply`. The handlers never touch sockets,
so they stay easy to test and the server owns all HTTP/SSE details.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .tokens import PromptCache


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server received it (credentials removed)."""

    method: str
    path: str
    query: dict[str, str]
    # Parsed JSON body, "mock" key included; None for GET or a non-JSON body.
    body: dict[str, Any] | None
    # Lower-cased header names, without authorization/api-key headers.
    headers: dict[str, str]


@dataclass(frozen=True)
class MockRequest:
    method: str
    path: str  # the URL path as sent, without query
    route: str  # the path reduced to its provider-neutral form, e.g. "/chat/completions"
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]  # {} when the request had no JSON object body
    deployment: str | None = None  # Azure deployment taken from the URL

    @property
    def mock(self) -> dict[str, Any]:
        """The test-control object sent as ``extra_body={"mock": {...}}``. SDKs that send no free-form
        top-level field put it in a free-form object of the request: Bedrock Converse in
        ``additionalModelRequestFields``, Mistral in ``metadata``."""
        value = self.body.get("mock")
        for holder in ("additionalModelRequestFields", "metadata"):
            if value is None and isinstance(self.body.get(holder), dict):
                value = self.body[holder].get("mock")
        return value if isinstance(value, dict) else {}

    @property
    def model(self) -> str:
        model = self.body.get("model")
        if isinstance(model, str) and model:
            return model
        return self.deployment or ""

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True


@dataclass(frozen=True)
class JsonReply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event; ``data`` is JSON-encoded unless it is already a str."""

    data: Any
    event: str | None = None


@dataclass(frozen=True)
class StreamReply:
    # A lazy iterable is fine: the server writes and flushes each event as it comes. Bytes are sent
    # as they are (Bedrock's binary event-stream frames), events as server-sent events.
    events: Iterable[SseEvent | bytes]
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # drop the connection after this many events (``mock.cut_after``)
    content_type: str = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class RawReply:
    """Bytes sent verbatim (replay of recorded bodies)."""

    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)


Reply = JsonReply | StreamReply | RawReply


class IdCounter:
    """Per-prefix counters giving ids like ``chatcmpl-mock-1a2b3c-000001``.

    The random part is per server, so ids stay unique across servers in one process, as real
    provider ids are (a consumer may rely on that, e.g. to count a response once).
    """

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tag = secrets.token_hex(3)

    def next(self, prefix: str) -> str:
        with self._lock:
            n = self._counts.get(prefix, 0) + 1
            self._counts[prefix] = n
        return f"{prefix}{self._tag}-{n:06d}"


class ResponseStore:
    """Completed Responses-API objects, for ``GET /responses/{id}``."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, response: dict[str, Any]) -> None:
        with self._lock:
            self._items[response["id"]] = response

    def get(self, response_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._items.get(response_id)


@dataclass
class ServerState:
    """Everything handlers may read or update; all members are thread-safe."""

    flavor: str
    cache: PromptCache = field(default_factory=PromptCache)
    ids: IdCounter = field(default_factory=IdCounter)
    responses: ResponseStore = field(default_factory=ResponseStore)


Handler = Callable[[MockRequest, ServerState, "re.Match[str]"], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]  # matched with fullmatch against MockRequest.route
    handler: Handler


@dataclass(frozen=True)
class WireFormat:
    """What the server needs to speak one provider's protocol."""

    name: str
    routes: Sequence[Route]
    # (raw path, query) -> (route, deployment)
    normalize_path: Callable[[str, Mapping[str, str]], tuple[str, str | None]]
    # (status, message) -> error reply in this format's error shape
    error_reply: Callable[[int, str], Reply]
    # (request, recorded Record) -> reply; None: the recorded body verbatim
    replay: Callable[[MockRequest, Any], Reply] | None = None
