"""The ClickHouse exporter's traces table at the pinned version, and the rows it writes.

``traces_ddl()`` renders the exporter's own ``internal/sqltemplates/traces_table.sql`` from the Go
module cache (collector/build.sh fills it when it builds the manifest's components) the way
``renderCreateTracesTableSQL`` does with the default config: MergeTree, no cluster, no TTL.
``rows_of(request)`` converts an ExportTraceServiceRequest the way ``pushTraceData`` does
(exporter_traces.go): one row per span, every attribute value as pcommon ``Value.AsString``.
``HttpInterface`` answers ClickHouse's HTTP interface on loopback from a chdb ledger.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import subprocess
import tempfile
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from genai_cost.ledger.engines import TablesLedger

CONTRIB = "github.com/open-telemetry/opentelemetry-collector-contrib"
EXPORTER = f"{CONTRIB}/exporter/clickhouseexporter@v0.159.0"
TEMPLATE = "internal/sqltemplates/traces_table.sql"
COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind", "ServiceName",
    "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration", "StatusCode", "StatusMessage",
)  # fmt: skip
_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")  # ptrace SpanKind.String()
_STATUS = ("Unset", "Ok", "Error")  # ptrace StatusCode.String()


@functools.cache
def exporter_source() -> Path:
    """The clickhouseexporter v0.159.0 module in the Go module cache."""
    go = os.environ.get("GO", "/usr/local/go/bin/go")
    try:
        cache = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"cannot ask Go for its module cache: {error}")
    path = Path(cache) / EXPORTER
    if not (path / TEMPLATE).exists():
        pytest.fail(f"{path / TEMPLATE} is missing: run bash collector/build.sh (it downloads the exporter)")
    return path


def traces_ddl(database: str = "otel", table: str = "otel_traces") -> str:
    """CREATE TABLE for the traces table, exactly as the exporter renders it with default settings."""
    template = (exporter_source() / TEMPLATE).read_text()
    quoted = f'"{database}"."{table}"'  # Go's %q of plain names
    return (
        template.replace("%q.%q", quoted, 1)
        .replace(" %s (", " (", 1)
        .replace("%s", "MergeTree()", 1)
        .replace("\n%s\n", "\n", 1)
    )


def _float(value: float) -> str:
    """Go's float64AsString: ES6 number formatting (plain decimals from 1e-6 to 1e21)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value != 0 and (abs(value) < 1e-6 or abs(value) >= 1e21):
        mantissa, exponent = repr(value).split("e")
        return f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{int(exponent.lstrip('+-'))}"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _raw(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_raw(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _raw(kv.value) for kv in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return getattr(value, kind) if kind else None


def as_string(value: AnyValue) -> str:
    """pcommon Value.AsString."""
    kind = value.WhichOneof("value")
    if kind is None:
        return ""
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind == "int_value":
        return str(value.int_value)
    if kind == "double_value":
        return _float(value.double_value)
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode()
    return json.dumps(_raw(value), separators=(",", ":"), ensure_ascii=False)


def _map(key_values: Any) -> dict[str, str]:
    return {kv.key: as_string(kv.value) for kv in key_values}


def rows_of(request: ExportTraceServiceRequest) -> list[dict[str, Any]]:
    """The rows the exporter appends for ``request`` (Events and Links left empty)."""
    rows = []
    for resource_spans in request.resource_spans:
        resource = _map(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                rows.append({
                    "Timestamp": span.start_time_unix_nano,
                    "TraceId": span.trace_id.hex(),
                    "SpanId": span.span_id.hex(),
                    "ParentSpanId": span.parent_span_id.hex(),
                    "TraceState": span.trace_state,
                    "SpanName": span.name,
                    "SpanKind": _KINDS[span.kind],
                    "ServiceName": resource.get("service.name", ""),
                    "ResourceAttributes": resource,
                    "ScopeName": scope_spans.scope.name,
                    "ScopeVersion": scope_spans.scope.version,
                    "SpanAttributes": _map(span.attributes),
                    "Duration": span.end_time_unix_nano - span.start_time_unix_nano,
                    "StatusCode": _STATUS[span.status.code],
                    "StatusMessage": span.status.message,
                })  # fmt: skip
    return rows


def insert(ledger: TablesLedger, rows: list[dict[str, Any]], table: str = "otel_traces") -> None:
    """INSERT the rows as the exporter does (one batch; Timestamp given in nanoseconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    names = ", ".join(COLUMNS)
    select = ", ".join("fromUnixTimestamp64Nano(Timestamp, 'UTC')" if c == "Timestamp" else c for c in COLUMNS)
    structure = (
        "Timestamp Int64, TraceId String, SpanId String, ParentSpanId String, TraceState String, SpanName String, "
        "SpanKind String, ServiceName String, ResourceAttributes Map(String, String), ScopeName String, "
        "ScopeVersion String, SpanAttributes Map(String, String), Duration UInt64, StatusCode String, "
        "StatusMessage String"
    )
    try:
        ledger.execute(
            f"INSERT INTO `{ledger.database}`.`{table}` ({names}) SELECT {select} "
            f"FROM file('{handle.name}', 'JSONEachRow', '{structure}')"
        )
    finally:
        os.unlink(handle.name)


class HttpInterface:
    """ClickHouse's HTTP interface on a free loopback port, answered by a chdb ledger: the network
    peer of `genai-cost calls` / `report --source ledger` given an http:// URL.

    As a ClickHouse server does: the query is the POST body and ends in its FORMAT clause; the user
    and password come in X-ClickHouse-User / X-ClickHouse-Key; a failure is a non-200 status whose
    body starts "Code: N. DB::Exception: ...". Every query received is kept in ``queries``."""

    def __init__(self, ledger: TablesLedger, user: str = "default", password: str = "") -> None:
        self.ledger, self.user, self.password = ledger, user, password
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def answer(self, sql: str, user: str, password: str) -> tuple[int, bytes]:
        if (user, password) != (self.user, self.password):
            return 516, b"Code: 516. DB::Exception: default: Authentication failed: password is incorrect. "
        match = re.search(r"\s+FORMAT\s+(\w+)\s*$", sql)
        query, form = (sql[: match.start()], match.group(1)) if match else (sql, "TabSeparated")
        with self._lock:
            self.queries.append(query)
            try:
                return 200, self.ledger.session.query(query, form).bytes()
            except Exception as error:  # chdb's message is ClickHouse's own
                return 500, f"Code: 62. DB::Exception: {str(error).strip()}".encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        interface = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                sql = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                user = self.headers.get("X-ClickHouse-User", "default")
                status, body = interface.answer(sql, user, self.headers.get("X-ClickHouse-Key", ""))
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
                pass

        return Handler

    def __enter__(self) -> HttpInterface:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
