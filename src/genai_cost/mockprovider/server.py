"""The mock provider's HTTP server: lifecycle, request log, routing, HTTP/SSE plumbing.

Speaks HTTP/1.1 with keep-alive: JSON replies carry ``Content-Length``; streams use
chunked transfer encoding and flush every event, so a client can stop reading early.
Each connection runs in its own daemon thread, so a slow (``timeout``) request never
blocks others, and :meth:`MockProvider.stop` wakes sleeping handlers and closes open
keep-alive connections instead of waiting for clients.

Handled here, before the wire format's routes, for every flavor:

- ``{"mock": {"error": 400 | 429 | 500 | <4xx/5xx>}}`` or models ``mock-error-<status>``:
  an error reply in the format's error shape (429 also sends ``retry-after: 0``);
- ``{"mock": {"error": "timeout"}}`` or model ``mock-timeout``: wait
  ``timeout_delay_s``, then answer normally;
- ``{"mock": {"latency_ms": n}}``: wait n milliseconds before answering, as a real provider takes;
- ``{"mock": {"replay": "<record id>"}}``: the recorded body, verbatim (see :mod:`.replay`);
- ``{"mock": {"cut_after": n}}`` on a stream: send its first n events, then drop the connection
  without ending the body (a stream that breaks midway; clients see an incomplete read).
"""

from __future__ import annotations

import os
import re
import threading
from types import TracebackType
from typing import Any, Self

from .anthropic_api import ANTHROPIC_FORMAT
from .bedrock_api import BEDROCK_FORMAT
from .core import (
    MockRequest,
    RecordedRequest,
    Reply,
    ServerState,
    WireFormat,
)
from .gemini_api import GEMINI_FORMAT
from .http_server import Server
from .openai_api import OPENAI_FORMAT
from .replay import Record, load_records, replay_reply
from .tokens import FLAVORS

# Flavors speak the OpenAI wire format unless mapped to their own WireFormat below.
_FORMATS: dict[str, WireFormat] = {flavor: OPENAI_FORMAT for flavor in FLAVORS}
_FORMATS["anthropic"] = ANTHROPIC_FORMAT
_FORMATS["bedrock"] = BEDROCK_FORMAT  # boto3's bedrock-runtime: Converse and InvokeModel
# Gemini Developer API and Vertex AI (their usage differs only in Vertex's trafficType).
_FORMATS.update(gemini=GEMINI_FORMAT, vertex=GEMINI_FORMAT)

_MODEL_ERROR = re.compile(r"mock-error-(\d{3})")
TIMEOUT_MODEL = "mock-timeout"


def mock_failure(req: MockRequest) -> int | str | None:
    """The error status, ``"timeout"``, or None, requested by ``mock.error`` or the model."""
    if "error" in req.mock:
        return req.mock["error"]
    match = _MODEL_ERROR.fullmatch(req.model)
    if match:
        return int(match.group(1))
    return "timeout" if req.model == TIMEOUT_MODEL else None


class MockProvider:
    """A deterministic local LLM provider speaking the OpenAI wire format.

    ``flavor`` selects provider quirks of the usage objects: ``"openai"`` (default),
    ``"x_ai"``, ``"openrouter"`` or ``"deepseek"`` (see :mod:`.tokens`); ``"anthropic"`` speaks
    the Anthropic Messages wire format instead (see :mod:`.anthropic_api`). Flavors ``"gemini"`` and
    ``"vertex"`` speak Gemini's wire format (see :mod:`.gemini_api`); give google-genai clients
    :attr:`root_url` as their base URL. ``"bedrock"`` speaks Bedrock Runtime to boto3 (Converse and
    InvokeModel, streams in AWS event-stream framing; see :mod:`.bedrock_api`): give the client
    :attr:`root_url` as ``endpoint_url``. ``"mistral"`` is the OpenAI format as Mistral sends it
    (usage at the end of every chat stream); give ``Mistral(server_url=...)`` :attr:`root_url`.
    ``records_path`` names a realdata-format JSONL file for ``mock.replay``.
    ``timeout_delay_s`` is how long ``timeout`` requests wait before answering.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        flavor: str = "openai",
        records_path: str | os.PathLike[str] | None = None,
        timeout_delay_s: float = 5.0,
    ) -> None:
        if flavor not in _FORMATS:
            raise ValueError(f"unknown flavor {flavor!r}; expected one of {sorted(_FORMATS)}")
        self.host = host
        self.flavor = flavor
        self.timeout_delay_s = timeout_delay_s
        self.records: dict[str, Record] = load_records(records_path) if records_path else {}
        #: Print one line per request to stderr (the command line sets it).
        self.log_requests = False
        self._port = port
        self._format = _FORMATS[flavor]
        self._state = ServerState(flavor=flavor)
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self._lifecycle_lock = threading.Lock()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; a no-op if already running."""
        with self._lifecycle_lock:
            if self._server is not None:
                return self
            self._stopping = threading.Event()
            server = Server((self.host, self._port), self)
            self._port = server.server_address[1]
            # A short poll interval keeps stop() fast (shutdown waits for one poll).
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"mockprovider:{self._port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close connections; safe to call more than once."""
        with self._lifecycle_lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None:
                return
            self._stopping.set()  # wakes handlers sleeping for a timeout
            server.shutdown()
            server.close_connections()
            server.server_close()
            if thread is not None:
                thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port once started (the configured one before)."""
        return self._port

    @property
    def root_url(self) -> str:
        """``http://host:port`` without ``/v1`` (for ``AzureOpenAI(azure_endpoint=...)``)."""
        # A wildcard bind address is reachable locally through loopback.
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://host:port/v1``, the ``base_url`` for ``openai.OpenAI``."""
        return self.root_url + "/v1"

    # --- request log -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, oldest first."""
        with self._requests_lock:
            return list(self._requests)

    def reset(self) -> None:
        """Forget logged requests and the prompt cache (ids and stored responses stay)."""
        with self._requests_lock:
            self._requests.clear()
        self._state.cache.clear()

    def _record(self, request: RecordedRequest) -> None:
        with self._requests_lock:
            self._requests.append(request)

    # --- dispatch --------------------------------------------------------------------

    def _dispatch(self, req: MockRequest) -> Reply | None:
        wire = self._format
        latency_ms = req.mock.get("latency_ms")  # a provider's time to answer, for timing what runs meanwhile
        if isinstance(latency_ms, int | float) and not isinstance(latency_ms, bool) and latency_ms > 0:
            if self._stopping.wait(latency_ms / 1000):
                return None
        failure = mock_failure(req)
        if failure == "timeout":
            if self._stopping.wait(self.timeout_delay_s):
                return None
        elif failure is not None:
            if isinstance(failure, bool) or not isinstance(failure, int) or not 400 <= failure <= 599:
                return wire.error_reply(400, f"Invalid mock.error {failure!r}: use a 4xx/5xx status or 'timeout'.")
            return wire.error_reply(failure, _ERROR_MESSAGES.get(failure, f"Mock error {failure}."))

        replay_id = req.mock.get("replay")
        if replay_id is not None:
            return self._replay(replay_id, req)

        matched_path = False
        for route in wire.routes:
            match = route.pattern.fullmatch(req.route)
            if match is None:
                continue
            matched_path = True
            if route.method == req.method:
                return route.handler(req, self._state, match)
        if matched_path:
            return wire.error_reply(405, f"Method {req.method} not allowed for {req.path}.")
        return wire.error_reply(404, f"Unknown request URL: {req.method} {req.path}.")

    def _replay(self, replay_id: Any, req: MockRequest) -> Reply:
        if not self.records:
            return self._format.error_reply(400, "mock.replay needs a MockProvider started with records_path.")
        record = self.records.get(replay_id) if isinstance(replay_id, str) else None
        if record is None:
            return self._format.error_reply(404, f"No recorded response with id {replay_id!r}.")
        if self._format.replay is not None:
            return self._format.replay(req, record)
        return replay_reply(record)


_ERROR_MESSAGES = {
    400: "Invalid request (mock error).",
    429: "Rate limit reached for requests (mock error).",
    500: "The server had an error while processing your request (mock error).",
}
