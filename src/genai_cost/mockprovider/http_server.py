"""The mock provider's HTTP side: one daemon thread per connection, a request read and logged
without its credentials, a reply written whole, as SSE, as AWS event-stream frames, or cut midway."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import socketserver
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .core import (
    JsonReply,
    MockRequest,
    RawReply,
    RecordedRequest,
    Reply,
    SseEvent,
    StreamReply,
)

if TYPE_CHECKING:
    from .server import MockProvider

# Credentials never enter the request log.
_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "x-goog-api-key", "x-amz-security-token"})
_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)
_MODEL_ERROR = re.compile(r"mock-error-(\d{3})")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: MockProvider) -> None:
        self.provider = provider
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai SDK's client expects
    # Headers and body go out in separate writes; with Nagle's algorithm the second
    # write waits for a delayed ACK, adding ~40 ms to every request.
    disable_nagle_algorithm = True
    server: Server

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
