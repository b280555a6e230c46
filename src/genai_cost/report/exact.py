"""The exact growth of a counter over each segment of a period, summed per group of labels.

PromQL's increase() extrapolates to the window's edges, so it is not the spend. Here a series'
growth over a segment (a, b] is its last sample at or before b minus its last sample at or before a,
computed inside Prometheus and summed per group in one query per run of equal segments:

    sum by (G) (
        (last_over_time(c[w+L]) - (last_over_time(c[L] offset w) or last_over_time(c[w+L]) * 0))
      unless resets(c[w+L]) > 0)

A series with no sample in the lookback L before a segment started inside it, from zero (its
first sample is all its growth, as the recording rules count it). The few series that `resets()`
says restarted (a process restarting under the same labels) are fetched as raw samples and walked
in Python: growth between samples, and after a drop the new value. Both parts are exact to the
samples Prometheus holds; nothing depends on the query step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from genai_cost.report.client import PromClient

GroupKey = tuple[str, ...]
LOOKBACK = 3600  # seconds: as the recording rules, a series unseen for an hour starts again from zero


@dataclass(frozen=True)
class Counter:
    name: str  # the series name, e.g. gen_ai_client_cost_usd_total
    split: str | None = None  # a label always kept apart (gen_ai_token_type), appended to the group key


def selector(name: str, matchers: Sequence[str] = ()) -> str:
    return name + ("{" + ",".join(matchers) + "}" if matchers else "")


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _runs(segments: Sequence[tuple[float, float]]) -> list[list[int]]:
    """Indexes of consecutive segments of equal length: each run is one range query."""
    runs: list[list[int]] = []
    for index, (start, end) in enumerate(segments):
        if runs:
            first = segments[runs[-1][0]]
            if round(end - start) == round(first[1] - first[0]) and start == segments[runs[-1][-1]][1]:
                runs[-1].append(index)
                continue
        runs.append([index])
    return runs


def _fast_query(sel: str, by: Sequence[str], window: int, lookback: int) -> str:
    whole, back = f"{window + lookback}s", f"{lookback}s"
    return (
        f"sum by ({', '.join(by)}) ("
        f"(last_over_time({sel}[{whole}]) - (last_over_time({sel}[{back}] offset {window}s)"
        f" or last_over_time({sel}[{whole}]) * 0))"
        f" unless resets({sel}[{whole}]) > 0)"
    )


class Increases:
    """Exact growth of counters per group and segment; one instance per period and grouping."""

    def __init__(
        self,
        client: PromClient,
        segments: Sequence[tuple[float, float]],
        by: Sequence[str],
        matchers: Sequence[str] = (),
        lookback: int = LOOKBACK,
    ) -> None:
        self.client = client
        self.segments = [(round(a), round(b)) for a, b in segments]
        self.by = list(by)
        self.matchers = list(matchers)
        self.lookback = lookback
        self.raw_series = 0  # series fetched sample by sample (restarted within a segment)

    def _key(self, labels: dict[str, str], counter: Counter) -> GroupKey:
        key = tuple(labels.get(name, "") for name in self.by)
        return (*key, labels.get(counter.split, "")) if counter.split else key

    def of(self, counter: Counter) -> list[dict[GroupKey, float]]:
        """Per segment: group key -> growth of the counter in that segment."""
        by = [*self.by, counter.split] if counter.split else self.by
        sel = selector(counter.name, self.matchers)
        out: list[dict[GroupKey, float]] = [defaultdict(float) for _ in self.segments]
        calls = []
        for run in _runs(self.segments):
            window = self.segments[run[0]][1] - self.segments[run[0]][0]
            first_end, last_end = self.segments[run[0]][1], self.segments[run[-1]][1]
            for query in (_fast_query(sel, by, window, self.lookback),
                          f"resets({sel}[{window + self.lookback}s]) > 0"):  # fmt: skip
                calls.append((self.client.range, query, first_end, last_end, window))
        results = self.client.many(calls)
        restarted: dict[int, list[dict[str, str]]] = defaultdict(list)
        for run, fast, resets in zip(_runs(self.segments), results[::2], results[1::2], strict=True):
            index_of = {self.segments[i][1]: i for i in run}
            for series in fast:
                for at, value in series["values"]:
                    out[index_of[round(float(at))]][self._key(series["metric"], counter)] += float(value)
            for series in resets:
                for at, _ in series["values"]:
                    restarted[index_of[round(float(at))]].append(series["metric"])
        self._add_restarted(counter, restarted, out)
        return [dict(segment) for segment in out]

    def _add_restarted(
        self, counter: Counter, restarted: dict[int, list[dict[str, str]]], out: list[dict[GroupKey, float]]
    ) -> None:
        calls, wanted = [], []
        for index, label_sets in sorted(restarted.items()):
            start, end = self.segments[index]
            for query in _raw_queries(counter.name, label_sets, end - start + self.lookback):
                calls.append((self.client.instant, query, end))
                wanted.append((index, {_identity(labels) for labels in label_sets}))
        for (index, identities), result in zip(wanted, self.client.many(calls), strict=True):
            start = self.segments[index][0]
            for series in result:
                labels = {k: v for k, v in series["metric"].items() if k != "__name__"}
                if _identity(labels) not in identities:
                    continue  # fetched along with a restarted one, already counted by the fast query
                self.raw_series += 1
                out[index][self._key(labels, counter)] += walk(series["values"], start)


def _identity(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in labels.items() if k != "__name__")


def _raw_queries(name: str, label_sets: list[dict[str, str]], seconds: int) -> list[str]:
    """Range-vector selectors that fetch these series: one per process (job and instance), not per series."""
    processes: dict[tuple[tuple[str, str], ...], None] = {}
    for labels in label_sets:
        keys = [k for k in ("job", "instance") if k in labels] or sorted(labels)
        processes[tuple((k, labels[k]) for k in keys)] = None
    return [selector(name, [f"{k}={quote(v)}" for k, v in process]) + f"[{seconds}s]" for process in processes]


def walk(values: Sequence[Sequence[object]], start: float) -> float:
    """Growth of one counter after `start` from its raw samples: deltas, and after a drop its new value."""
    previous: float | None = None
    grown = 0.0
    for at, text in values:
        value = float(text)  # type: ignore[arg-type]
        if float(at) <= start:  # type: ignore[arg-type]
            previous = value
            continue
        if previous is None or value < previous:
            grown += value
        else:
            grown += value - previous
        previous = value
    return grown


def series_total(per_segment: list[dict[GroupKey, float]]) -> dict[GroupKey, float]:
    """Sum over segments, per group."""
    total: dict[GroupKey, float] = defaultdict(float)
    for segment in per_segment:
        for key, value in segment.items():
            total[key] += value
    return dict(total)
