"""The fleet's spend per key, read from Prometheus in the background (GENAI_COST_BUDGETS_PROMETHEUS_URL).

Every GENAI_COST_BUDGETS_REFRESH seconds a daemon thread asks Prometheus, for each (scope, period) the
budgets use, what `gen_ai_client_cost_usd_total` grew by over the period, summed by the scope's label.
Nothing here runs on a call's path: the guard reads the last figures from memory.

The increase is exact where PromQL can make it so, and Prometheus' estimate only where it cannot:

- a series that existed when the period began and has no counter reset inside it: its last value in
  the period minus its value at the period's start (one scrape's spend before the start may count);
- a series born inside the period (a new process, or a first priced call): all of its last value,
  since the counters start at 0 and a cost series appears with its first priced call;
- a series with a counter reset inside the period (a process restarted under the same job and
  instance): `increase()`, which extrapolates and misses what was spent before the first scrape
  after the restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger("genai_cost")

COST_SERIES = "gen_ai_client_cost_usd_total"


def spend_query(labels: Sequence[str], window: int) -> str:
    """PromQL for the spend over the last `window` seconds, summed by `labels` (none: one total)."""
    x, r, at_start = COST_SERIES, f"[{window}s]", f"{COST_SERIES} offset {window}s"
    no_reset = f"(resets({x}{r}) == 0)"
    since_start = f"((last_over_time({x}{r}) - {at_start}) and {no_reset})"
    born_inside = f"((last_over_time({x}{r}) unless {at_start}) and {no_reset})"
    by = f" by ({', '.join(labels)})" if labels else ""
    return f"sum{by} ({since_start} or {born_inside} or increase({x}{r}))"


@dataclass(frozen=True, slots=True)
class Query:
    """One question to Prometheus: the spend of one (scope, period), by the scope's labels."""

    labels: tuple[str, ...]  # Prometheus labels of the scope; () for global
    period: str
    window: Callable[[float], int]  # now -> the period's length in seconds

    def key_of(self, metric: Mapping[str, str]) -> str:
        """The budget key of a result series: the first of its labels that has a value."""
        for label in self.labels:
            value = metric.get(label)
            if value:
                return value
        return ""


def read(base_url: str, query: Query, now: float, timeout: float) -> dict[str, float]:
    """key -> USD spent in the period up to `now`, fleet-wide; raises on any failure."""
    promql = spend_query(query.labels, query.window(now))
    url = f"{base_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql, "time": f"{now:.3f}"})
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the configured Prometheus
        payload = json.loads(response.read())
    if payload.get("status") != "success":
        raise ValueError(f"Prometheus answered {payload.get('errorType')}: {payload.get('error')}")
    spend: dict[str, float] = {}
    for series in payload["data"]["result"]:
        key = query.key_of(series.get("metric", {}))
        spend[key] = spend.get(key, 0.0) + float(series["value"][1])
    return spend


class FleetReader:
    """The background thread: reads every query each `interval` and hands the figures to `on_read`,
    or the error to `on_error`. It starts with the guard and lives as long as the process."""

    def __init__(
        self,
        base_url: str,
        queries: Sequence[Query],
        interval: float,
        on_read: Callable[[dict[Query, dict[str, float]], float], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        self.base_url = base_url
        self.queries = tuple(queries)
        self.interval = interval
        self._on_read = on_read
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="genai-cost-budgets", daemon=True)

    def start(self) -> FleetReader:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def restart(self) -> None:
        """Run again in a forked child, where the thread started before the fork does not exist."""
        if not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name="genai-cost-budgets", daemon=True)
            self._thread.start()

    def read_once(self) -> None:
        now = time.time()
        timeout = max(1.0, min(10.0, self.interval))
        try:
            figures = {query: read(self.base_url, query, now, timeout) for query in self.queries}
        except Exception as error:  # unreachable, slow, an error answer, an unexpected shape
            self._on_error(error)
            return
        self._on_read(figures, now)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.read_once()
            except Exception:  # never let the thread die: the guard would silently go stale
                logger.debug("genai-cost: budget refresh failed", exc_info=True)
            self._stop.wait(self.interval)
