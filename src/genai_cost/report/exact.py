"""The exact growth of a counter over each segment of a period, summed per group of labels.

PromQL's increase() extrapolates to the window's edges, so it is not the spend. Here a series'
growth over a segment (a, b] is its last sample at or before b minus its last sample at or before a,
computed inside Prometheus and summed per group in one range query per run of equal segments:

    sum by (G) (last_over_time(c[w+L]) - (last_over_time(c[L] offset w) or last_over_time(c[w+L]) * 0))

A series with no sample in the lookback L before a segment started inside it, from zero (its first
sample is all its growth, as the recording rules count it).

A process that restarted inside a segment (one query finds the job and instance of every process
whose input-tokens or call-count series dropped: every call adds to them) is fetched sample by
sample, one query per such day for all counters, and its series are walked in Python; their walked
growth replaces what the fast query counted for them: growth between samples, and after a restart
the new value. A restart is placed between the two samples where a tokens series
of the process dropped, so a series of the same process that happens not to drop (it had fewer calls
before the restart than in its first scrape after) is still counted from zero after it. Only the
restarted processes' samples of those days are fetched. Nothing depends on the query step.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from genai_cost.report.client import PromClient

GroupKey = tuple[str, ...]
LOOKBACK = 3600  # seconds: as the recording rules, a series unseen for an hour starts again from zero
WITNESS = "gen_ai_client_tokens_total"  # every call adds input tokens: its drops date a process restart
# Series whose drops say a process restarted: its input tokens (every call with usage adds to them) and
# its calls (every call, failed ones too). Reading these is far cheaper than every counter.
DETECTORS = (f'{WITNESS}{{gen_ai_token_type="input"}}', "gen_ai_client_operation_duration_seconds_count")
PROCESS = ("job", "instance")
Marker = tuple[float, float]  # a restart happened after the first time and before the second


@dataclass(frozen=True)
class Counter:
    name: str  # the series name, e.g. gen_ai_client_cost_usd_total
    split: str | None = None  # a label always kept apart (gen_ai_token_type), appended to the group key


def selector(name: str, matchers: Sequence[str] = ()) -> str:
    return name + ("{" + ",".join(matchers) + "}" if matchers else "")


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _runs(segments: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Indexes of consecutive segments of equal length: each run is one range query."""
    runs: list[list[int]] = []
    for index, (start, end) in enumerate(segments):
        if runs:
            first = segments[runs[-1][0]]
            if end - start == first[1] - first[0] and start == segments[runs[-1][-1]][1]:
                runs[-1].append(index)
                continue
        runs.append([index])
    return runs


def _fast_query(sel: str, by: Sequence[str], window: int, lookback: int) -> str:
    whole, back = f"{window + lookback}s", f"{lookback}s"
    return (
        f"sum by ({', '.join(by)}) ("
        f"last_over_time({sel}[{whole}]) - (last_over_time({sel}[{back}] offset {window}s)"
        f" or last_over_time({sel}[{whole}]) * 0))"
    )


def _restarts_query(sels: Sequence[str], window: int, lookback: int) -> str:
    """The processes (job, instance) with a drop in any of these counters, per segment."""
    whole = f"{window + lookback}s"
    drops = " or ".join(f"resets({sel}[{whole}]) > 0" for sel in sels)
    return f"count by ({', '.join(PROCESS)}) ({drops})"


def _process(labels: dict[str, str]) -> tuple[str, ...]:
    return tuple(labels.get(name, "") for name in PROCESS)


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
        self.raw_series = 0  # series walked sample by sample (their process restarted within a segment)

    def _key(self, labels: dict[str, str], counter: Counter) -> GroupKey:
        key = tuple(labels.get(name, "") for name in self.by)
        return (*key, labels.get(counter.split, "")) if counter.split else key

    def of(self, counter: Counter) -> list[dict[GroupKey, float]]:
        return self.compute([counter])[counter]

    def compute(self, counters: Sequence[Counter]) -> dict[Counter, list[dict[GroupKey, float]]]:
        """Per counter, per segment: group key -> growth of the counter in that segment."""
        out = {c: [defaultdict(float) for _ in self.segments] for c in counters}
        names = list(dict.fromkeys([*(c.name for c in counters), WITNESS]))
        calls, runs = [], _runs(self.segments)
        for run in runs:
            window = self.segments[run[0]][1] - self.segments[run[0]][0]
            first_end, last_end = self.segments[run[0]][1], self.segments[run[-1]][1]
            for counter in counters:
                by = [*self.by, counter.split] if counter.split else self.by
                query = _fast_query(selector(counter.name, self.matchers), by, window, self.lookback)
                calls.append((self.client.range, query, first_end, last_end, window))
            query = _restarts_query(DETECTORS, window, self.lookback)
            calls.append((self.client.range, query, first_end, last_end, window))
        results = iter(self.client.many(calls))
        processes: dict[int, set[tuple[str, ...]]] = defaultdict(set)
        for run in runs:
            index_of = {self.segments[i][1]: i for i in run}
            for counter in counters:
                for series in next(results):
                    for at, value in series["values"]:
                        out[counter][index_of[round(float(at))]][self._key(series["metric"], counter)] += float(value)
            for series in next(results):
                for at, _ in series["values"]:
                    processes[index_of[round(float(at))]].add(_process(series["metric"]))
        self._walk_restarted(counters, names, processes, out)
        return {c: [dict(segment) for segment in out[c]] for c in counters}

    def _raw_call(self, names: Sequence[str], index: int, processes: set[tuple[str, ...]]) -> tuple[object, ...]:
        """One query for the raw samples of these counters and processes over a segment and its lookback."""
        start, end = self.segments[index]
        matchers = [f"__name__=~{quote('|'.join(names))}", *self.matchers]
        for position, label in enumerate(PROCESS):
            values = sorted({p[position] for p in processes})
            matchers.append(f"{label}=~{quote('|'.join(_regex_escape(v) for v in values))}")
        return (self.client.instant, "{" + ",".join(matchers) + f"}}[{end - start + self.lookback}s]", end)

    def _walk_restarted(
        self,
        counters: Sequence[Counter],
        names: Sequence[str],
        processes: dict[int, set[tuple[str, ...]]],
        out: dict[Counter, list[defaultdict[GroupKey, float]]],
    ) -> None:
        """Replace the restarted processes' share of the fast sums by their walked growth."""
        indexes = sorted(processes)
        fetched = self.client.many([self._raw_call(names, i, processes[i]) for i in indexes])
        by_name = {c.name: c for c in counters}
        for index, found in zip(indexes, fetched, strict=True):
            start = self.segments[index][0]
            mine = [s for s in found if _process(s["metric"]) in processes[index]]
            found_drops: dict[tuple[str, ...], list[Marker]] = defaultdict(list)
            for series in mine:
                labels = series["metric"]
                if labels["__name__"] == WITNESS and labels.get("gen_ai_token_type") == "input":
                    found_drops[_process(labels)].extend(drops(series["values"]))
            markers = {process: merge(found) for process, found in found_drops.items()}
            for series in mine:
                counter = by_name.get(series["metric"]["__name__"])
                if counter is None:
                    continue
                self.raw_series += 1
                labels, values = series["metric"], series["values"]
                grown, counted = walk(values, start, markers.get(_process(labels), []))
                out[counter][index][self._key(labels, counter)] += grown - counted


def _regex_escape(value: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in value)


def drops(values: Sequence[Sequence[object]]) -> list[Marker]:
    """(time before, time after) of each drop between consecutive samples."""
    found = []
    for (t1, v1), (t2, v2) in zip(values, values[1:], strict=False):
        if float(v2) < float(v1):  # type: ignore[arg-type]
            found.append((float(t1), float(t2)))  # type: ignore[arg-type]
    return found


def merge(markers: list[Marker]) -> list[Marker]:
    """One marker per restart: overlapping intervals narrowed to their intersection."""
    merged: list[Marker] = []
    for a, b in sorted(markers):
        if merged and a < merged[-1][1]:
            merged[-1] = (max(a, merged[-1][0]), min(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def walk(values: Sequence[Sequence[object]], start: float, restarts: Sequence[Marker] = ()) -> tuple[float, float]:
    """Growth of one counter after `start` from its raw samples: deltas, and after a drop or a restart
    of its process (a marker between two of its samples) the new value. Also what the fast query
    counted for it: its last sample minus its last one at or before `start`."""
    previous_at, previous = -math.inf, None
    base = 0.0  # the last sample at or before start
    grown = 0.0
    following = 0  # index of the first restart that starts at or after the previous sample
    for at_text, text in values:
        at, value = float(at_text), float(text)  # type: ignore[arg-type]
        while following < len(restarts) and restarts[following][0] < previous_at:
            following += 1
        if following < len(restarts) and restarts[following][1] <= at and previous is not None:
            previous = None  # the process restarted between the two samples
        if at <= start:
            base = value
        elif previous is None or value < previous:
            grown += value
        else:
            grown += value - previous
        previous_at, previous = at, value
    last = float(values[-1][1]) if values else 0.0  # type: ignore[arg-type]
    return grown, (last - base if values else 0.0)


def series_total(per_segment: list[dict[GroupKey, float]]) -> dict[GroupKey, float]:
    """Sum over segments, per group."""
    total: dict[GroupKey, float] = defaultdict(float)
    for segment in per_segment:
        for key, value in segment.items():
            total[key] += value
    return dict(total)
