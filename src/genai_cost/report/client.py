"""A small client for any Prometheus-compatible query API (Prometheus, Mimir, Thanos, VictoriaMetrics).

The URL comes from `--prometheus`, else `GENAI_COST_PROMETHEUS_URL`, else http://localhost:9090.
`GENAI_COST_PROMETHEUS_TOKEN` adds a bearer token, `GENAI_COST_PROMETHEUS_HEADERS` extra headers
(`X-Scope-OrgID=team-a,X-Other=v`: Mimir's tenant header). Only the standard library is used, so
the command needs no extra dependency to print a table.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

ENV_URL = "GENAI_COST_PROMETHEUS_URL"
ENV_TOKEN = "GENAI_COST_PROMETHEUS_TOKEN"
ENV_HEADERS = "GENAI_COST_PROMETHEUS_HEADERS"
DEFAULT_URL = "http://localhost:9090"
WORKERS = 4  # queries at once: Prometheus runs them in parallel while this process parses answers

Series = dict[str, Any]  # one result of the query API: {"metric": {...}, "value" | "values": ...}


class PrometheusError(Exception):
    """The query API could not answer: unreachable, refused, or the query was rejected."""


def headers_from(text: str) -> dict[str, str]:
    """`Name=value,Other=value` as a header dict; a malformed entry is an error naming it."""
    headers: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise PrometheusError(f"{ENV_HEADERS}: expected Name=value, got {item!r}")
        headers[name.strip()] = value.strip()
    return headers


class PromClient:
    """Instant and range queries, label names, and a few queries at once on a small thread pool."""

    def __init__(self, url: str | None = None, headers: Mapping[str, str] | None = None, timeout: float = 60.0) -> None:
        self.url = (url or os.environ.get(ENV_URL) or DEFAULT_URL).rstrip("/")
        self.headers = {"Accept": "application/json"}
        token = os.environ.get(ENV_TOKEN)
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.headers.update(headers_from(os.environ.get(ENV_HEADERS, "")))
        self.headers.update(headers or {})
        self.timeout = timeout
        self.queries = 0  # how many requests were made (the benchmark reports it)

    def _call(self, path: str, params: Sequence[tuple[str, str]]) -> Any:
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(f"{self.url}/api/v1/{path}", data=body, headers=self.headers)
        self.queries += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the user's URL
                payload = json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            raise PrometheusError(f"{self.url} answered {error.code} to /api/v1/{path}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(
                f"cannot reach Prometheus at {self.url} ({reason}); pass --prometheus URL or set {ENV_URL}"
            ) from None
        if payload.get("status") != "success":
            raise PrometheusError(f"{self.url}: {payload.get('errorType')}: {payload.get('error')}")
        return payload["data"]

    def instant(self, query: str, at: float | None = None) -> list[Series]:
        """The query at `at` (epoch seconds), or at the server's now."""
        params = [("query", query)] + ([("time", f"{at:.3f}")] if at is not None else [])
        return self._call("query", params)["result"]

    def range(self, query: str, start: float, end: float, step: float) -> list[Series]:
        params = [("query", query), ("start", f"{start:.3f}"), ("end", f"{end:.3f}"), ("step", f"{step:g}")]
        return self._call("query_range", params)["result"]

    def label_names(self, selector: str, start: float, end: float) -> list[str]:
        params = [("match[]", selector), ("start", f"{start:.3f}"), ("end", f"{end:.3f}")]
        return list(self._call("labels", params))

    def check(self) -> None:
        """Raise PrometheusError unless the query API answers."""
        self._call("query", [("query", "1")])

    def many(self, calls: Sequence[tuple[Any, ...]], workers: int = WORKERS) -> list[Any]:
        """Run (method, *args) calls concurrently; results in order. Prometheus answers them in parallel."""
        if len(calls) <= 1:
            return [method(*args) for method, *args in calls]
        with self.pool(workers) as start:
            return [future.result() for future in start(calls)]

    @contextmanager
    def pool(self, workers: int = WORKERS) -> Iterator[Callable[[Sequence[tuple[Any, ...]]], list[Future[Any]]]]:
        """`start(calls)`: (method, *args) calls begun on a pool now, their futures in order, so that the
        caller can work (or query) meanwhile. The pool waits for every call when the block ends."""
        with ThreadPoolExecutor(max_workers=workers) as executor:
            yield lambda calls: [executor.submit(call[0], *call[1:]) for call in calls]
