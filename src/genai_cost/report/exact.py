"""The exact growth of a counter over each segment of a period, summed per group of labels.

PromQL's increase() extrapolates to the window's edges, so it is not the spend. Here a series'
growth over a segment (a, b] is its last sample at or before b minus its last sample at or before a.
Two range queries per counter and run of equal segments give both, series by series:

    last_over_time(c[w+L])              the last sample at or before each segment's end
    last_over_time(c[L] offset w)       the last one at or before its start, within the lookback L

and the growths are summed per group here, in the order Prometheus sums them, so each sum is the one

    sum by (G) (last_over_time(c[w+L]) - (last_over_time(c[L] offset w) or last_over_time(c[w+L]) * 0))

gives to the last bit, at half the work inside Prometheus (that query reads each sample twice).
A series with no sample in the lookback L before a segment started inside it, from zero (its first
sample is all its growth, as the recording rules count it).

A process that restarted inside a segment (one query finds the job and instance of every process
whose input-tokens or call-count series dropped: every call adds to them) has its series counted
life by life by `restarts.Restarts`; what they grew replaces what the fast query counted for them.
Nothing depends on the query step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

from genai_cost import gcpause
from genai_cost.report.client import PromClient, Series
from genai_cost.report.promql import selector
from genai_cost.report.restarts import DETECTORS, PROCESS, Process, Restarts, process_of

GroupKey = tuple[str, ...]
LOOKBACK = 3600  # seconds: as the recording rules, a series unseen for an hour starts again from zero


@dataclass(frozen=True)
class Counter:
    name: str  # the series name, e.g. gen_ai_client_cost_usd_total
    split: str | None = None  # a label always kept apart (gen_ai_token_type), appended to the group key


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


def last_queries(sel: str, window: int, lookback: int) -> tuple[str, str]:
    """Each series' last sample at or before a segment's end (in it or its lookback), and before its start."""
    return f"last_over_time({sel}[{window + lookback}s])", f"last_over_time({sel}[{lookback}s] offset {window}s)"


def _labels_order(labels: dict[str, str]) -> list[tuple[str, str]]:
    """Prometheus's order of label sets (sorted names, then values), in which it sums and returns them."""
    return sorted(labels.items())


def _restarts_query(sels: Sequence[str], window: int, lookback: int) -> str:
    """The processes (job, instance) with a drop in any of these counters, per segment."""
    whole = f"{window + lookback}s"
    drops = " or ".join(f"resets({sel}[{whole}]) > 0" for sel in sels)
    return f"count by ({', '.join(PROCESS)}) ({drops})"


def group_sums(
    at_end: list[Series], at_start: list[Series], names: Sequence[str]
) -> dict[float, dict[GroupKey, float]]:
    """Per step of the two range queries of `last_queries`: each series' growth (its last sample, less
    its last one before the segment if it had one) summed per group of these label values, series and
    groups in Prometheus's order: the sums, to the last bit, and the order of the `sum by` query of
    the module docstring."""
    before = {tuple(_labels_order(s["metric"])): dict(s["values"]) for s in at_start}
    sums: dict[float, dict[GroupKey, float]] = defaultdict(dict)
    for identity, series in sorted(((tuple(_labels_order(s["metric"])), s) for s in at_end), key=_first):
        labels = series["metric"]
        key = tuple([labels.get(name, "") for name in names])
        earlier = before.get(identity, {})
        for at, value in series["values"]:
            grown = float(value) - float(earlier[at]) if at in earlier else float(value)
            groups = sums[float(at)]
            groups[key] = groups[key] + grown if key in groups else grown
    ordered = {at: sorted(groups, key=lambda k: _group_order(names, k)) for at, groups in sums.items()}
    return {at: {key: sums[at][key] for key in keys} for at, keys in ordered.items()}


_first = itemgetter(0)


def _group_order(names: Sequence[str], key: GroupKey) -> list[tuple[str, str]]:
    """A group's place in Prometheus's answer: its label set (empty values are absent) in label order."""
    return _labels_order({name: value for name, value in zip(names, key, strict=True) if value})


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
        self.raw_series = 0  # series counted life by life (their process restarted within a segment)

    def _key(self, labels: dict[str, str], counter: Counter) -> GroupKey:
        key = tuple([labels.get(name, "") for name in self.by])
        return (*key, labels.get(counter.split, "")) if counter.split else key

    def compute(self, counters: Sequence[Counter]) -> dict[Counter, list[dict[GroupKey, float]]]:
        """Per counter, per segment: group key -> growth of the counter in that segment."""
        with gcpause.paused():
            return self._compute(counters)

    def _compute(self, counters: Sequence[Counter]) -> dict[Counter, list[dict[GroupKey, float]]]:
        out = {c: [defaultdict(float) for _ in self.segments] for c in counters}
        runs = _runs(self.segments)
        calls = []
        for run in runs:
            window = self.segments[run[0]][1] - self.segments[run[0]][0]
            first_end, last_end = self.segments[run[0]][1], self.segments[run[-1]][1]
            for counter in counters:
                for query in last_queries(selector(counter.name, self.matchers), window, self.lookback):
                    calls.append((self.client.range, query, first_end, last_end, window))
        restarts = Restarts(self.client, self.segments, self.matchers, self.lookback)
        names = [c.name for c in counters]
        # Prometheus reads the month while this thread finds the restarted processes, then parses their samples.
        with self.client.pool() as start:
            fast = start(calls)
            processes = self._restarted(runs)
            raw = start(restarts.calls(names, processes))
            results = iter([future.result() for future in fast])
            for run in runs:
                index_of = {self.segments[i][1]: i for i in run}
                for counter in counters:
                    self._sum(counter, next(results), next(results), index_of, out[counter])
            fetched = [future.result() for future in raw]
        by_name = {c.name: c for c in counters}
        for index, labels, grown in restarts.corrections(names, processes, fetched):
            counter = by_name[labels["__name__"]]
            out[counter][index][self._key(labels, counter)] += grown
        self.raw_series += restarts.series
        return {c: [dict(segment) for segment in out[c]] for c in counters}

    def _sum(
        self,
        counter: Counter,
        at_end: list[Series],
        at_start: list[Series],
        index_of: dict[int, int],
        out: list[defaultdict[GroupKey, float]],
    ) -> None:
        """Add one counter's group sums of a run of segments into those segments."""
        names = [*self.by, counter.split] if counter.split else self.by
        for at, groups in group_sums(at_end, at_start, names).items():
            segment = out[index_of[round(at)]]
            for key, value in groups.items():
                segment[key] += value

    def _restarted(self, runs: list[list[int]]) -> dict[int, set[Process]]:
        """Per segment index, the processes that restarted inside it (or in its lookback)."""
        calls = []
        for run in runs:
            window = self.segments[run[0]][1] - self.segments[run[0]][0]
            query = _restarts_query(DETECTORS, window, self.lookback)
            calls.append((self.client.range, query, self.segments[run[0]][1], self.segments[run[-1]][1], window))
        processes: dict[int, set[Process]] = defaultdict(set)
        for run, found in zip(runs, self.client.many(calls), strict=True):
            index_of = {self.segments[i][1]: i for i in run}
            for series in found:
                for at, _ in series["values"]:
                    processes[index_of[round(float(at))]].add(process_of(series["metric"]))
        return processes


def series_total(per_segment: list[dict[GroupKey, float]]) -> dict[GroupKey, float]:
    """Sum over segments, per group."""
    total: dict[GroupKey, float] = defaultdict(float)
    for segment in per_segment:
        for key, value in segment.items():
            total[key] += value
    return dict(total)
