"""Where ledger queries run: chdb in this process, or a ClickHouse server over HTTP.

Every engine exposes the typed calls as one relation, :attr:`Engine.calls`, and answers
:meth:`Engine.rows` for the same SQL text written against it:

- :class:`FileLedger`: the file exporter's files read in place by chdb (ClickHouse's engine as a
  library: no server, the same SQL dialect and functions as the fleet's ClickHouse, reads zstd
  and JSON natively), through a view over :func:`otlp_files.spans_relation`;
- :class:`TablesLedger`: a chdb database holding the ClickHouse exporter's own ``otel_traces``
  table and the ledger's typed table and materialized view (tests, benchmarks, a local copy);
- :class:`ClickHouseLedger`: a ClickHouse server the exporter writes to, over its HTTP interface
  (stdlib only), after :func:`schema.clickhouse_ddl` has added the typed table and view.
"""

from __future__ import annotations

import glob
import json
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import weakref
from pathlib import Path
from typing import Any, Protocol

from genai_cost.ledger import otlp_files, schema


class LedgerError(Exception):
    """The ledger cannot be read: a message for the user, no traceback."""


class Engine(Protocol):
    calls: str  # the relation of typed calls, as the SQL names it

    def rows(self, sql: str) -> list[dict[str, Any]]: ...


def _session(path: str | None = None) -> Any:
    try:
        from chdb import session
    except ImportError as error:
        raise LedgerError("the ledger needs chdb: pip install 'genai-cost[ledger]'") from error
    return session.Session(path) if path else session.Session()


def _json_rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class _ChdbEngine:
    database = "ledger"

    def __init__(self, session: Any) -> None:
        self.session = session
        self.calls = f"`{self.database}`.`{schema.CALLS_TABLE}`"

    def execute(self, sql: str) -> None:
        self.session.query(sql)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        try:
            result = self.session.query(sql, "JSONEachRow")
        except Exception as error:  # chdb raises its own error types for SQL and I/O problems
            raise LedgerError(str(error).strip().splitlines()[0]) from error
        return _json_rows(result.bytes().decode())


class FileLedger(_ChdbEngine):
    """The files of a file exporter (a directory, one file or a glob), read in place."""

    def __init__(self, location: str | Path, session: Any = None) -> None:
        if session is None:
            # chdb keeps its catalogue on disk: a folder of our own, removed with the session.
            folder = tempfile.mkdtemp(prefix="genai-cost-ledger-")
            session = _session(folder)
            weakref.finalize(session, shutil.rmtree, folder, True)
        super().__init__(session)
        self.location = location
        self.database = "ledger_files"
        self.calls = f"`{self.database}`.`{schema.CALLS_TABLE}`"
        self.execute(f"CREATE DATABASE IF NOT EXISTS `{self.database}`")
        self.execute(
            f"CREATE OR REPLACE VIEW {self.calls} AS\n" + schema.calls_select(otlp_files.spans_relation(location))
        )


class TablesLedger(_ChdbEngine):
    """A chdb database with the ClickHouse exporter's traces table and the ledger on top."""

    def __init__(self, traces_ddl: str, database: str = "otel", path: str | None = None, session: Any = None) -> None:
        super().__init__(session if session is not None else _session(path))
        self.database = database
        self.calls = f"`{database}`.`{schema.CALLS_TABLE}`"
        self.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
        self.execute(traces_ddl)
        for statement in schema.clickhouse_ddl(database):
            self.execute(statement)


class ClickHouseLedger:
    """A ClickHouse server (``http://user:password@host:8123/?database=otel``) with the ledger's
    typed table. Credentials in the URL go in ClickHouse's own headers, never into a message."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(url)
        database = dict(urllib.parse.parse_qsl(parts.query)).get("database", "otel")
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        self.url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        self.headers = {}
        if parts.username is not None:
            self.headers["X-ClickHouse-User"] = urllib.parse.unquote(parts.username)
            self.headers["X-ClickHouse-Key"] = urllib.parse.unquote(parts.password or "")
        self.timeout = timeout
        self.calls = f"`{database}`.`{schema.CALLS_TABLE}`"

    def rows(self, sql: str) -> list[dict[str, Any]]:
        body = (sql + "\nFORMAT JSONEachRow").encode()
        request = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the user's server
                return _json_rows(response.read().decode())
        except urllib.error.HTTPError as error:
            # ClickHouse puts its reason ("Code: 60. DB::Exception: ...") in the body.
            reason = (error.read().decode(errors="replace").strip().splitlines() or [""])[0]
            raise LedgerError(f"ClickHouse at {self.url} answered {error.code}: {reason}") from error
        except OSError as error:
            raise LedgerError(f"ClickHouse at {self.url}: {error}") from error


def open_ledger(location: str) -> Engine:
    """A ClickHouse server for an http(s) URL, else the exporter files at a path."""
    if location.startswith(("http://", "https://")):
        return ClickHouseLedger(location)
    if not glob.glob(location):
        raise LedgerError(f"no ledger files at {location}")
    return FileLedger(location)
