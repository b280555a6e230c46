"""An in-process OTLP/HTTP receiver (protobuf encoding) for tests.

A stdlib ``ThreadingHTTPServer`` on loopback, port chosen by binding 0. It accepts
``POST /v1/traces``, ``/v1/metrics`` and ``/v1/logs`` the way a Collector does: decodes the
``Export*ServiceRequest``, keeps it, and answers 200 with an empty ``Export*ServiceResponse``.
Spans are flattened into :class:`SpanRecord` values with plain-Python attributes.

    with OtlpReceiver() as receiver:
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.traces_url
        ...
        spans = receiver.wait_for_spans(lambda spans: len(spans) >= 3)
"""

from __future__ import annotations

import gzip
import socketserver
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

TRACES_PATH = "/v1/traces"
METRICS_PATH = "/v1/metrics"
LOGS_PATH = "/v1/logs"

_SIGNALS: dict[str, tuple[type[Message], type[Message]]] = {
    TRACES_PATH: (ExportTraceServiceRequest, ExportTraceServiceResponse),
    METRICS_PATH: (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
    LOGS_PATH: (ExportLogsServiceRequest, ExportLogsServiceResponse),
}


def any_value(value: AnyValue) -> Any:
    """An OTLP AnyValue as a plain Python value (arrays become tuples, kvlists dicts)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return tuple(any_value(v) for v in value.array_value.values)
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(key_values: Any) -> dict[str, Any]:
    """Repeated KeyValue -> dict."""
    result: dict[str, Any] = {}
    kv: KeyValue
    for kv in key_values:
        result[kv.key] = any_value(kv.value)
    return result


@dataclass(frozen=True)
class SpanRecord:
    """One received span, decoded."""

    name: str
    kind: str  # "CLIENT", "SERVER", "INTERNAL", ...
    status_code: str  # "UNSET", "OK", "ERROR"
    status_message: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope_name: str
    scope_version: str
    trace_id: str  # hex
    span_id: str  # hex
    parent_span_id: str  # hex, "" for a root span
    start_time_unix_nano: int
    end_time_unix_nano: int
    events: tuple[str, ...] = field(default=())

    @classmethod
    def from_proto(cls, span: Span, resource: dict[str, Any], scope_name: str, scope_version: str) -> SpanRecord:
        return cls(
            name=span.name,
            kind=Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
            status_code=Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
            status_message=span.status.message,
            attributes=attributes(span.attributes),
            resource=resource,
            scope_name=scope_name,
            scope_version=scope_version,
            trace_id=span.trace_id.hex(),
            span_id=span.span_id.hex(),
            parent_span_id=span.parent_span_id.hex(),
            start_time_unix_nano=span.start_time_unix_nano,
            end_time_unix_nano=span.end_time_unix_nano,
            events=tuple(event.name for event in span.events),
        )


def spans_of(request: ExportTraceServiceRequest) -> list[SpanRecord]:
    records = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope
            for span in scope_spans.spans:
                records.append(SpanRecord.from_proto(span, resource, scope.name, scope.version))
    return records


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], receiver: OtlpReceiver) -> None:
        self.receiver = receiver
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # Skip HTTPServer's socket.getfqdn(): a reverse DNS lookup that can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        signal = _SIGNALS.get(path)
        body = self._read_body()
        if signal is None:
            self._answer(404, b"", "text/plain")
            return
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/x-protobuf":
            self.server.receiver._error(f"{path}: unsupported Content-Type {content_type!r}")
            self._answer(415, b"", "text/plain")
            return
        try:
            data = _decompress(body, self.headers.get("Content-Encoding", ""))
            request = signal[0]()
            request.ParseFromString(data)
        except (DecodeError, OSError, zlib.error, ValueError) as error:
            self.server.receiver._error(f"{path}: cannot decode request: {error!r}")
            self._answer(400, b"", "text/plain")
            return
        self.server.receiver._add(path, request)
        self._answer(200, signal[1]().SerializeToString(), "application/x-protobuf")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _answer(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


def _decompress(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    raise ValueError(f"unsupported Content-Encoding {encoding!r}")


class OtlpReceiver:
    """Receives OTLP/HTTP protobuf exports on loopback; thread-safe snapshots of what arrived."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._requests: dict[str, list[Message]] = {path: [] for path in _SIGNALS}
        self._spans: list[SpanRecord] = []
        self._errors: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Self:
        if self._server is None:
            server = _Server((self.host, 0), self)
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="otlp-receiver", daemon=True
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("OtlpReceiver is not started")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """Base URL, e.g. for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/<signal>)."""
        return f"http://{self.host}:{self.port}"

    @property
    def traces_url(self) -> str:
        return self.endpoint + TRACES_PATH

    @property
    def metrics_url(self) -> str:
        return self.endpoint + METRICS_PATH

    @property
    def logs_url(self) -> str:
        return self.endpoint + LOGS_PATH

    # --- what arrived --------------------------------------------------------------------
    def _add(self, path: str, request: Message) -> None:
        with self._lock:
            self._requests[path].append(request)
            if path == TRACES_PATH:
                self._spans.extend(spans_of(request))  # type: ignore[arg-type]
            self._lock.notify_all()

    def _error(self, message: str) -> None:
        with self._lock:
            self._errors.append(message)

    @property
    def spans(self) -> list[SpanRecord]:
        with self._lock:
            return list(self._spans)

    @property
    def errors(self) -> list[str]:
        """Requests the receiver could not accept (bad content type, undecodable body)."""
        with self._lock:
            return list(self._errors)

    def requests(self, path: str = TRACES_PATH) -> list[Message]:
        """Decoded Export*ServiceRequest messages received on ``path``, oldest first."""
        with self._lock:
            return list(self._requests[path])

    def wait_for_spans(self, done: Callable[[list[SpanRecord]], bool], timeout: float = 10.0) -> list[SpanRecord]:
        """Wait until ``done(spans)`` holds; return the spans then (or at the timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not done(list(self._spans)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self._spans)
