"""The growth of the series of processes that restarted inside a segment, each process's life alone.

The fast query counts a series' last sample less its last one before the segment, which is wrong
across a restart of its process. For each segment where processes restarted (the caller finds them:
their input-tokens or call-count series dropped), one query fetches the raw samples of those
processes' counters over the segment and its lookback. A restart is placed between the two samples
where an input-tokens series of the process (the witness: every call adds to it) dropped, so a
series of the same process that happens not to drop (it had fewer calls before the restart than in
its first scrape after) is still counted from zero after it; a process whose witness never dropped
is walked series by series. Each series' correction is its growth life by life less what the fast
query counted for it. Only the restarted processes' samples of those days are fetched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from genai_cost.report import lives
from genai_cost.report.client import PromClient, Series
from genai_cost.report.promql import one_of

WITNESS = "gen_ai_client_tokens_total"  # every call adds input tokens: its drops date a process restart
WITNESS_INPUT = 'gen_ai_token_type="input"'
# Series whose drops say a process restarted: its input tokens (every call with usage adds to them) and
# its calls (every call, failed ones too). Reading these is far cheaper than every counter.
DETECTORS = (f"{WITNESS}{{{WITNESS_INPUT}}}", "gen_ai_client_operation_duration_seconds_count")
PROCESS = ("job", "instance")

Process = tuple[str, ...]
Correction = tuple[int, dict[str, str], float]  # segment index, series labels, growth to add


def process_of(labels: Mapping[str, str]) -> Process:
    """The process a series is from: its PROCESS labels (spelled out: this runs for every raw series)."""
    return (labels.get("job", ""), labels.get("instance", ""))


class Restarts:
    """Corrections for the restarted processes' series of one set of segments, filters and lookback."""

    def __init__(
        self, client: PromClient, segments: Sequence[tuple[int, int]], matchers: Sequence[str], lookback: int
    ) -> None:
        self.client = client
        self.segments = segments
        self.matchers = list(matchers)
        self.lookback = lookback
        self.series = 0  # series counted life by life

    def calls(self, names: Sequence[str], processes: Mapping[int, set[Process]]) -> list[tuple[Any, ...]]:
        """The queries to run (on PromClient.pool) for `corrections`: the raw samples per segment."""
        indexes = sorted(processes)
        calls = [self._raw_call(names, i, processes[i]) for i in indexes]
        if WITNESS not in names:  # its input series only: the witness of restarts
            calls += [self._raw_call([WITNESS], i, processes[i], [WITNESS_INPUT]) for i in indexes]
        return calls

    def corrections(
        self, names: Sequence[str], processes: Mapping[int, set[Process]], results: Sequence[list[Series]]
    ) -> list[Correction]:
        """Per segment in order, per series in the order fetched: its growth less what the fast query counted."""
        indexes = sorted(processes)
        fetched = list(results[: len(indexes)])
        for position, witness in enumerate(results[len(indexes) :]):
            fetched[position] = fetched[position] + witness
        wanted = set(names)
        out: list[Correction] = []
        for index, found in zip(indexes, fetched, strict=True):
            start = float(self.segments[index][0])
            mine = [(process, s) for s in found if (process := process_of(s["metric"])) in processes[index]]
            markers = _markers(mine)
            for process, series in mine:
                labels = series["metric"]
                if labels["__name__"] not in wanted:
                    continue
                self.series += 1
                values = series["values"]
                restarts = markers.get(process)
                grown, counted = lives.lives(values, start, restarts) if restarts else lives.walk(values, start)
                out.append((index, labels, grown - counted))
        return out

    def _raw_call(
        self, names: Sequence[str], index: int, processes: set[Process], extra: Sequence[str] = ()
    ) -> tuple[Any, ...]:
        """One query for the raw samples of these counters and processes over a segment and its lookback."""
        start, end = self.segments[index]
        matchers = [f"__name__=~{one_of(names)}", *self.matchers, *extra]
        for position, label in enumerate(PROCESS):
            matchers.append(f"{label}=~{one_of(sorted({p[position] for p in processes}))}")
        return (self.client.instant, "{" + ",".join(matchers) + f"}}[{end - start + self.lookback}s]", end)


def _markers(series: Sequence[tuple[Process, Series]]) -> dict[Process, list[lives.Marker]]:
    """Per process, its restarts: where one of its witness series dropped, one marker per restart."""
    found: dict[Process, list[lives.Marker]] = defaultdict(list)
    for process, one in series:
        labels = one["metric"]
        if labels["__name__"] == WITNESS and labels.get("gen_ai_token_type") == "input":
            found[process].extend(lives.drops(one["values"]))
    return {process: lives.merge(markers) for process, markers in found.items()}
