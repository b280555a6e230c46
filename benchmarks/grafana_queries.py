"""The queries Grafana sends for the genai-cost dashboards, for a time window: variables resolved as
on load, range queries with Grafana's step, instant queries for stat and bar-gauge panels.

Grafana 11's rules, as used here:

- a panel's max data points is its width in pixels (a 1920-pixel screen: 80 per grid column);
- the interval is range / max data points rounded by Grafana's table (``round_interval``), at least
  the panel's min interval, else the data source's scrape interval (``timeInterval``, 15 s in
  grafana/provisioning); the Prometheus
  data source also keeps a range query under 11,000 points;
- ``$__rate_interval`` = max(``$__interval`` + scrape interval, 4 x scrape interval);
- start and end are aligned down to a multiple of the step;
- query variables (``label_values(selector, label)``) ask /api/v1/label/<label>/values with
  ``match[]`` over the dashboard's time range; a multi-value variable loads as All (its allValue),
  a single-value one as its first option; a custom variable as its current value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRAPE_INTERVAL = 15  # seconds: grafana/provisioning/datasources/prometheus.yaml timeInterval
PIXELS_PER_COLUMN = 80
MAX_POINTS = 11000
# (upper bound of the raw interval in ms, the interval Grafana uses in s), from Grafana's rangeutil.
_ROUNDING = [
    (15, 0.01), (35, 0.02), (75, 0.05), (150, 0.1), (350, 0.2), (750, 0.5), (1500, 1), (3500, 2), (7500, 5),
    (12500, 10), (17500, 15), (25000, 20), (45000, 30), (90000, 60), (210000, 120), (450000, 300),
    (1050000, 600), (2100000, 1200), (4500000, 3600), (10800000, 7200), (21600000, 21600),
    (86400000, 43200), (172800000, 86400), (604800000, 86400), (1814400000, 604800),
]  # fmt: skip


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool
    step: int  # seconds; 0 for instant queries
    start: int
    end: int

    @property
    def name(self) -> str:
        return f"{self.dashboard.removeprefix('genai-cost-')}: {self.panel} [{self.ref}]"


def round_interval(ms: float) -> float:
    """Grafana's rounding of a raw interval (ms) to a display interval (s)."""
    for bound, seconds in _ROUNDING:
        if ms < bound:
            return seconds
    return 31536000


def step_for(range_s: int, width_columns: int, min_interval: int = SCRAPE_INTERVAL) -> int:
    """Grafana's step; ``min_interval`` is the panel's "Min interval" if set (it replaces the data
    source's)."""
    max_points = width_columns * PIXELS_PER_COLUMN
    interval = max(round_interval(range_s * 1000 / max_points), min_interval)
    return int(max(interval, -(-range_s // MAX_POINTS)))


def seconds(text: str) -> int:
    """A Grafana duration such as ``5m`` in seconds."""
    return int(text[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[text[-1]]


def duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def variables(dashboard: dict[str, Any], label_values: Callable[[str, str], list[str]]) -> dict[str, str]:
    """The variables' values on load; ``label_values(selector, label)`` asks Prometheus."""
    values: dict[str, str] = {}
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "custom":
            values[variable["name"]] = variable["current"]["value"]
        elif variable["type"] == "query":
            selector, label = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"]).groups()
            options = label_values(substitute(selector, values), label)
            if variable.get("multi") and variable.get("includeAll"):
                values[variable["name"]] = variable["allValue"]
            else:
                values[variable["name"]] = options[0] if options else ""
    return values


def substitute(expr: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return expr


def queries(path: Path, start: int, end: int, values: dict[str, str]) -> list[Query]:
    """Every panel target of one dashboard file for the window [start, end]."""
    dashboard = json.loads(path.read_text())
    out = []
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            if target.get("instant"):
                out.append(Query(dashboard["uid"], panel["title"], target["refId"],
                                 substitute(target["expr"], values), True, 0, end, end))  # fmt: skip
                continue
            step = step_for(end - start, panel["gridPos"]["w"], seconds(panel.get("interval") or f"{SCRAPE_INTERVAL}s"))
            times = {"__interval": duration(step), "__rate_interval": duration(max(step + SCRAPE_INTERVAL,
                     4 * SCRAPE_INTERVAL)), "__range": duration(end - start)}  # fmt: skip
            expr = substitute(target["expr"], {**values, **times})
            out.append(Query(dashboard["uid"], panel["title"], target["refId"], expr, False, step,
                             start - start % step, end - end % step))  # fmt: skip
    return out
