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

import dataclasses
import json
import os
import re
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from .anthropic_api import ANTHROPIC_FORMAT
from .bedrock_api import BEDROCK_FORMAT
from .core import (
    JsonReply,
    MockRequest,
    RawReply,
    RecordedRequest,
    Reply,
    ServerState,
    SseEvent,
    StreamReply,
    WireFormat,
)
from .gemini_api import GEMINI_FORMAT
from .openai_api import OPENAI_FORMAT
from .replay import Record, load_records, replay_reply
from .tokens import FLAVORS

# Flavors speak the OpenAI wire format unless mapped to their own WireFormat below.
_FORMATS: dict[str, WireFormat] = {flavor: OPENAI_FORMAT for flavor in FLAVORS}
_FORMATS["anthropic"] = ANTHROPIC_FORMAT
_FORMATS["bedrock"] = BEDROCK_FORMAT  # boto3's bedrock-runtime: Converse and InvokeModel
# Gemini Developer API and Vertex AI (their usage differs only in Vertex's trafficType).
_FORMATS.update(gemini=GEMINI_FORMAT, vertex=GEMINI_FORMAT)

# Credentials never enter the request log.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "x-goog-api-key", "x-amz-security-token"})
_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: MockProvider) -> None:
        self.provider = provider
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup that can stall for
        # seconds on machines without working reverse DNS; the name is not needed.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping a keep-alive connection (or stop() closing it) is routine;
        # only real bugs deserve the default traceback on stderr.
        error = sys.exc_info()[1]
        if isinstance(error, _DISCONNECTS) or (isinstance(error, OSError) and self.provider._stopping.is_set()):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai SDK's client expects
    # Headers and body go out in separate writes; with Nagle's algorithm the second
    # write waits for a delayed ACK, adding ~40 ms to every request.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.provider.log_requests:
            super().log_message(format, *args)

    def _handle(self) -> None:
        try:
            reply = self._reply()
            if reply is None:  # stopped while waiting: drop the connection unanswered
                self.close_connection = True
                return
            self._send(reply)
        except _DISCONNECTS:
            # The client went away (e.g. broke out of a stream); nothing to tell anyone.
            self.close_connection = True

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()  # blank line after the last chunk
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _reply(self) -> Reply | None:
        provider = self.server.provider
        wire = provider._format
        url = urlsplit(self.path)
        query = dict(parse_qsl(url.query))
        raw = self._read_body()
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() not in _SECRET_HEADERS}
        provider._record(
            RecordedRequest(
                method=self.command,
                path=url.path,
                query=query,
                body=body if isinstance(body, dict) else None,
                headers=headers,
            )
        )
        if bad_json or (raw and not isinstance(body, dict)):
            return wire.error_reply(400, "We could not parse the JSON body of your request.")

        route, deployment = wire.normalize_path(url.path, query)
        req = MockRequest(
            method=self.command,
            path=url.path,
            route=route,
            query=query,
            headers=headers,
            body=body if isinstance(body, dict) else {},
            deployment=deployment,
        )
        try:
            return _with_cut(provider._dispatch(req), req)
        except Exception:  # noqa: BLE001
            # A bug in a handler must still give the client an answer, not a hang.
            traceback.print_exc(file=sys.stderr)
            return wire.error_reply(500, "The mock provider failed while handling the request.")

    def _send(self, reply: Reply) -> None:
        if isinstance(reply, StreamReply):
            self._send_stream(reply)
            return
        if isinstance(reply, JsonReply):
            data = json.dumps(reply.body).encode("utf-8")
            content_type = "application/json"
        elif isinstance(reply, RawReply):
            data, content_type = reply.body, reply.content_type
        else:
            raise TypeError(f"unsupported reply {reply!r}")
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_stream(self, reply: StreamReply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache")
        # Chunked encoding marks the end of the stream without closing the connection.
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        for sent, event in enumerate(reply.events):
            if sent == reply.cut_after:
                self.close_connection = True  # no terminating chunk: the body is incomplete
                return
            self._write_chunk(event if isinstance(event, bytes) else _encode_event(event))
        self._write_chunk(b"")  # the zero-length chunk ends the body

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _with_cut(reply: Reply | None, req: MockRequest) -> Reply | None:
    cut = req.mock.get("cut_after")
    if isinstance(reply, StreamReply) and isinstance(cut, int) and not isinstance(cut, bool) and cut >= 0:
        return dataclasses.replace(reply, cut_after=cut)
    return reply


def _encode_event(event: SseEvent) -> bytes:
    data = event.data if isinstance(event.data, str) else json.dumps(event.data, separators=(",", ":"))
    head = f"event: {event.event}\n" if event.event else ""
    return f"{head}data: {data}\n\n".encode()


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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a background thread; a no-op if already running."""
        with self._lifecycle_lock:
            if self._server is not None:
                return self
            self._stopping = threading.Event()
            server = _Server((self.host, self._port), self)
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
