"""A deterministic synthetic fleet of genai-cost processes: its scrapes as OpenMetrics, and the truth.

The same spec and seed always give the same samples, byte for byte. The series are those a genai-cost
app exports (names and labels as Prometheus ingests them from the OTel Prometheus exporter):

- counters, per (job, instance, operation, provider, request model, response model, team, tenant_id
  [, user_id]): ``gen_ai_client_cost_usd_total`` and ``gen_ai_client_cost_savings_usd_total`` (priced
  models only), ``gen_ai_client_tokens_total`` by ``gen_ai_token_type`` (input, output, cache_read,
  cache_write, reasoning), ``gen_ai_client_unpriced_total`` by ``genai_cost_unpriced_reason``
  (unpriced models);
- the semconv histograms per (job, instance, operation, provider, request and response model,
  server address and port): ``gen_ai_client_operation_duration_seconds`` (failed calls under their
  own ``error_type``) and ``gen_ai_client_token_usage`` by ``gen_ai_token_type`` (input, output),
  with the bucket bounds of ``genai_cost.names``;
- ``target_info`` per (job, instance) with ``service_name``.

Processes restart (every counter of the instance resets to 0, the instance is down for a few
scrapes, and a label set reappears only at its next call), and some label sets start or stop getting
calls in the middle of the period. Every USD and duration amount is a multiple of 2**-20 (USD) or
2**-10 (s), and tokens are integers, so sums are exact in binary floating point.

API (tests/ is a package at the repository root)::

    from tests.helpers import fleet
    spec = fleet.preset("small")                     # "small", "medium", "large"
    spec = fleet.preset("medium", days=61)           # a preset with other parameters
    spec = fleet.FleetSpec(services=4, days=3)       # or any parameters
    fl = fleet.Fleet(spec)
    fl.start, fl.end                                 # the period, unix seconds (start: 00:00 UTC)
    fl.write_openmetrics(path)                       # the whole period in one file; returns samples
    fl.time(k), fl.steps, fl.interval               # scrape k's timestamp, the number of scrapes
    for path in fl.write_chunks(folder, 86400): ...  # files of one UTC day each, written as you iterate
    fl.truth("gen_ai_client_cost_usd_total", a, b)   # {labels: true increase over [a, b)}
    fleet.total(truth, by=("job",))                  # the truth summed by some labels

``labels`` are tuples of sorted (name, value) pairs, without ``__name__``. The true increase of a
series over [a, b) is the sum, over its samples timestamped in [a, b), of the sample minus the
previous sample of the same process (the sample itself for the first one of a process): what was
scraped, including every restart. Scrapes happen ``offset`` seconds (default half the scrape interval)
after each multiple of the interval, so [a, b) and (a, b] hold the same samples for minute-aligned
bounds. Each file ends with ``# EOF`` and is what ``promtool tsdb create-blocks-from openmetrics`` reads.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = tuple(4**i for i in range(14))  # 1, 4, ..., 67108864: genai_cost.names.TOKEN_USAGE_BUCKETS
TOKEN_TYPES = ("input", "output", "cache_read", "cache_write", "reasoning")
PROVIDERS = ("openai", "anthropic", "gcp.gemini", "x_ai", "aws.bedrock", "azure.ai.openai", "mistral_ai")
COUNTERS = (
    "gen_ai_client_cost_usd_total",
    "gen_ai_client_cost_savings_usd_total",
    "gen_ai_client_tokens_total",
    "gen_ai_client_unpriced_total",
)
USD_QUANTUM = 2.0**-20
SECONDS_QUANTUM = 2.0**-10
Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FleetSpec:
    services: int = 3
    instances: int = 2  # per service
    providers: int = 2
    models: int = 4
    tenants: int = 6
    teams: int = 2
    days: float = 2.0
    scrape_interval: int = 60  # seconds
    start: int = calendar.timegm((2026, 1, 1, 0, 0, 0))  # unix seconds; keep it at 00:00 UTC
    models_per_service: int = 2
    tenants_per_service: int = 3
    users_per_tenant: int = 0  # > 0: counters also carry user_id
    calls_per_minute: float = 20.0  # per instance, on average
    restart_every_days: float = 1.5  # mean time between restarts of an instance (0: never)
    churn: float = 0.15  # share of label sets that start or stop getting calls inside the period
    unpriced_share: float = 0.1  # share of models with no price
    seed: int = 1
    offset: int | None = None  # seconds after each multiple of the interval; None: half of it


PRESETS = {
    "small": FleetSpec(),
    "medium": FleetSpec(services=20, providers=4, models=30, tenants=50, teams=10, days=30,
                        models_per_service=3, tenants_per_service=4),
    "large": FleetSpec(services=100, providers=6, models=60, tenants=200, teams=25, days=30,
                       models_per_service=3, tenants_per_service=4),
}  # fmt: skip


def preset(name: str, **overrides: object) -> FleetSpec:
    return dataclasses.replace(PRESETS[name], **overrides)  # type: ignore[arg-type]


def labels_of(**labels: str) -> Labels:
    return tuple(sorted(labels.items()))


def total(truth: Mapping[Labels, float], by: Sequence[str] = ()) -> dict[Labels, float]:
    """The truth summed by the labels ``by`` (none: one grand total under ``()``)."""
    out: dict[Labels, float] = {}
    for labels, value in truth.items():
        key = tuple((k, v) for k, v in labels if k in by)
        out[key] = out.get(key, 0.0) + value
    return out


@dataclass(frozen=True)
class _Model:
    name: str
    provider: str
    operation: str
    priced: bool
    usd_in: float  # per token
    usd_out: float
    latency: float  # median seconds
    error_rate: float
    tokens: tuple[int, int, int, int, int]  # per call, in TOKEN_TYPES order (input includes cache)


@dataclass(frozen=True)
class _Stream:
    """One label set of the counters on one instance: its calls per scrape come from its seed."""

    key: str
    labels: Labels  # without __name__ and gen_ai_token_type / reason
    model: _Model
    rate: float  # calls per scrape interval, on average
    active: tuple[int, int]  # [first, last) scrape index with calls


@dataclass(frozen=True)
class _Instance:
    job: str
    instance: str
    streams: tuple[_Stream, ...]
    down: frozenset[int]  # scrape indexes with no scrape
    restarts: frozenset[int]  # scrape indexes that are the first of a new process


class Fleet:
    def __init__(self, spec: FleetSpec) -> None:
        self.spec = spec
        self.interval = spec.scrape_interval
        self.offset = spec.offset if spec.offset is not None else self.interval // 2
        self.start = spec.start
        self.steps = int(spec.days * 86400) // self.interval
        self.end = self.start + self.steps * self.interval
        self.models = [self._model(m) for m in range(spec.models)]
        self.instances = [self._instance(s, i) for s in range(spec.services) for i in range(spec.instances)]

    # --- topology ---------------------------------------------------------------------------
    def _rng(self, *key: object) -> random.Random:
        return random.Random("/".join(map(str, (self.spec.seed, *key))))

    def _model(self, m: int) -> _Model:
        rng = self._rng("model", m)
        provider = PROVIDERS[m % min(self.spec.providers, len(PROVIDERS))]
        embeddings = m % 7 == 6
        usd_in = rng.choice((0.1, 0.15, 0.4, 1.0, 2.5, 3.0, 5.0, 15.0)) / 1e6
        tokens_in = int(rng.lognormvariate(7.0, 0.8)) + 1
        cache = 0 if embeddings else int(tokens_in * rng.choice((0.0, 0.2, 0.5, 0.8)))
        out = 0 if embeddings else int(rng.lognormvariate(5.5, 0.7)) + 1
        reasoning = int(out * 0.4) if m % 5 == 4 else 0
        return _Model(
            name=f"model-{m:02d}", provider=provider, operation="embeddings" if embeddings else "chat",
            priced=not self.spec.unpriced_share or m % max(2, round(1 / self.spec.unpriced_share)) != 3,
            usd_in=usd_in, usd_out=usd_in * 4,
            latency=0.05 if embeddings else rng.uniform(0.3, 6.0),
            error_rate=rng.choice((0.0, 0.0, 0.005, 0.02, 0.08)),
            tokens=(tokens_in, out, cache, cache // 10, reasoning),
        )  # fmt: skip

    def _instance(self, s: int, i: int) -> _Instance:
        spec = self.spec
        job = f"svc-{s:03d}"
        rng = self._rng("instance", s, i)
        models = [self.models[(s * spec.models_per_service + j) % spec.models] for j in range(spec.models_per_service)]
        tenants = [(s * spec.tenants_per_service + j) % spec.tenants for j in range(spec.tenants_per_service)]
        users = [f"user-{u}" for u in range(spec.users_per_tenant)] or [""]
        team = f"team-{s % spec.teams:02d}"
        weights = {(m.name, t, u): self._rng("weight", s, m.name, t, u).paretovariate(1.2)
                   for m in models for t in tenants for u in users}  # fmt: skip
        scale = spec.calls_per_minute * self.interval / 60 / sum(weights.values())
        streams = []
        for (model_name, tenant, user), weight in weights.items():
            model = next(m for m in models if m.name == model_name)
            labels = dict(job=job, instance=f"{job}-{i}:9464", gen_ai_operation_name=model.operation,
                          gen_ai_provider_name=model.provider, gen_ai_request_model=model.name,
                          gen_ai_response_model=f"{model.name}-2025", team=team, tenant_id=f"tenant-{tenant:03d}",
                          otel_scope_name="genai_cost", otel_scope_version="0.1.0")  # fmt: skip
            if user:
                labels["user_id"] = user
            key = f"{s}/{i}/{model_name}/{tenant}/{user}"
            first, last = 0, self.steps
            churn = self._rng("churn", key).random()
            if churn < spec.churn / 2:
                first = int(self.steps * self._rng("born", key).uniform(0.1, 0.8))
            elif churn < spec.churn:
                last = int(self.steps * self._rng("died", key).uniform(0.2, 0.9))
            streams.append(_Stream(key, labels_of(**labels), model, weight * scale, (first, last)))
        restarts: list[int] = []
        down: set[int] = set()
        if spec.restart_every_days > 0:
            mean = spec.restart_every_days * 86400 / self.interval
            k = int(rng.expovariate(1 / mean))
            while k < self.steps:
                gap = rng.randint(1, 5)
                down.update(range(k, k + gap))
                restarts.append(k + gap)
                k += gap + int(rng.expovariate(1 / mean)) + 1
        return _Instance(job, f"{job}-{i}:9464", tuple(streams), frozenset(down), frozenset(restarts))

    # --- calls -----------------------------------------------------------------------------------
    def _calls(self, stream: _Stream, day: int, lo: int, hi: int) -> tuple[list[int], list[int]]:
        """Successful and failed calls in each scrape interval [lo, hi) of one UTC day."""
        rng = self._rng("calls", stream.key, day)
        first, last = stream.active
        ok, failed = [], []
        for k in range(lo, hi):
            hour = ((k * self.interval + self.offset) % 86400) / 3600
            mean = stream.rate * (1 + 0.6 * math.sin((hour - 9) * math.pi / 12))
            n = int(mean * (0.5 + rng.random()) + rng.random()) if first <= k < last else 0
            e = int(n * stream.model.error_rate + rng.random()) if n else 0
            ok.append(n - e)
            failed.append(e)
        return ok, failed

    # --- series -------------------------------------------------------------------------------------
    def _day_calls(self, day: int, lo: int, hi: int) -> dict[str, _Calls]:
        """Calls of every stream at scrapes [lo, hi) of ``day`` (drawn for the whole day, then cut)."""
        per_day = 86400 // self.interval
        a, b = lo - day * per_day, hi - day * per_day
        out = {}
        for inst in self.instances:
            for s in inst.streams:
                ok, failed = self._calls(s, day, day * per_day, (day + 1) * per_day)
                out[s.key] = (ok[a:b], failed[a:b], sum(ok[:a]), sum(failed[:a]))
        return out

    def _series(self, inst: _Instance, calls: Mapping[str, _Calls], family: str) -> Iterator[_Rows]:
        """(sample name, labels, increments, calls) per series of one family on one instance over one day:
        the value increments and the calls at each scrape (a call makes the series exist)."""
        if family in _HISTOGRAMS:
            yield from self._histograms(inst, calls, family)
            return
        for stream in inst.streams:
            ok = calls[stream.key][0]
            m = stream.model
            if family == "gen_ai_client_tokens":
                for token_type, per_call in zip(TOKEN_TYPES, m.tokens, strict=True):
                    labels = _merge(stream.labels, (("gen_ai_token_type", token_type),))
                    yield "gen_ai_client_tokens_total", labels, [float(n * per_call) for n in ok], ok
            elif family == "gen_ai_client_unpriced" and not m.priced:
                labels = _merge(stream.labels, (("genai_cost_unpriced_reason", "unknown_model"),))
                yield "gen_ai_client_unpriced_total", labels, [float(n) for n in ok], ok
            elif family == "gen_ai_client_cost_usd" and m.priced:
                cost = _quantize(m.tokens[0] * m.usd_in + m.tokens[1] * m.usd_out - m.tokens[2] * m.usd_in * 0.9,
                                 USD_QUANTUM)  # fmt: skip
                yield "gen_ai_client_cost_usd_total", stream.labels, [n * cost for n in ok], ok
            elif family == "gen_ai_client_cost_savings_usd" and m.priced:
                savings = _quantize(m.tokens[2] * m.usd_in * 0.9, USD_QUANTUM) if m.tokens[2] else 0.0
                yield "gen_ai_client_cost_savings_usd_total", stream.labels, [n * savings for n in ok], ok

    def _histograms(self, inst: _Instance, calls: Mapping[str, _Calls], family: str) -> Iterator[_Rows]:
        for model in {s.model.name: s.model for s in inst.streams}.values():
            streams = [s for s in inst.streams if s.model is model]
            ok = [sum(c) for c in zip(*(calls[s.key][0] for s in streams), strict=True)]
            failed = [sum(c) for c in zip(*(calls[s.key][1] for s in streams), strict=True)]
            # Calls earlier in the day: bucket shares depend on the day's running count, not on the cut.
            ok0, failed0 = sum(calls[s.key][2] for s in streams), sum(calls[s.key][3] for s in streams)
            base = labels_of(job=inst.job, instance=inst.instance, gen_ai_operation_name=model.operation,
                             gen_ai_provider_name=model.provider, gen_ai_request_model=model.name,
                             gen_ai_response_model=f"{model.name}-2025", server_port="443",
                             server_address=f"api.{model.provider}.example", otel_scope_name="genai_cost",
                             otel_scope_version="0.1.0")  # fmt: skip
            if family == "gen_ai_client_operation_duration_seconds":
                yield from _histogram(family, base, ok, ok0, DURATION_BUCKETS, model.latency,
                                      _quantize(model.latency * 1.2, SECONDS_QUANTUM))  # fmt: skip
                if model.error_rate:
                    err = _merge(base, (("error_type", "RateLimitError"),))
                    yield from _histogram(
                        family, err, failed, failed0, DURATION_BUCKETS, 0.2, _quantize(0.25, SECONDS_QUANTUM)
                    )
            else:
                for token_type, per_call in zip(TOKEN_TYPES[:2], model.tokens[:2], strict=True):
                    labels = _merge(base, (("gen_ai_token_type", token_type),))
                    yield from _histogram(family, labels, ok, ok0, TOKEN_BUCKETS, max(per_call, 1), float(per_call))

    def _values(self, inst: _Instance, calls: Mapping, family: str, lo: int, state: dict) -> Iterator[_Samples]:
        """Per series of a family: [(scrape index, value, increment)] of the scrapes where it exists.
        ``state`` carries each series' (value, exists) from one day to the next."""
        restarts = inst.restarts
        for sample, labels, incs, events in self._series(inst, calls, family):
            key = (sample, labels)
            value, exists = state.get(key, (0.0, False))
            out = []
            for k, inc, n in zip(range(lo, lo + len(incs)), incs, events, strict=True):
                if k in inst.down:
                    continue
                if k in restarts:
                    value, exists = 0.0, False
                if n:
                    exists = True
                value += inc
                if exists:
                    out.append((k, value, inc))
            state[key] = (value, exists)
            yield sample, labels, out

    def _pieces(self, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        """(UTC day, first scrape index, end scrape index) of the scrapes in [start, end), split at days."""
        per_day = 86400 // self.interval
        first = max(0, -(-(start - self.start - self.offset) // self.interval))
        stop = min(self.steps, -(-(end - self.start - self.offset) // self.interval))
        for day in range(first // per_day, -(-stop // per_day)):
            lo, hi = max(first, day * per_day), min(stop, (day + 1) * per_day)
            if lo < hi:
                yield day, lo, hi

    def time(self, k: int) -> int:
        """The timestamp of scrape ``k`` (unix seconds)."""
        return self.start + k * self.interval + self.offset

    # --- the truth ----------------------------------------------------------------------------------
    def truth(self, name: str, start: int, end: int) -> dict[Labels, float]:
        """The true increase over [start, end) of every series (with a sample in it) of a counter or
        histogram sample name, e.g. ``gen_ai_client_tokens_total`` or ``..._seconds_bucket``."""
        out: dict[Labels, float] = {}
        state: dict = {}
        family = _family(name)
        for day, lo, hi in self._pieces(self.start, end):
            calls = self._day_calls(day, lo, hi)
            for inst in self.instances:
                for sample, labels, values in self._values(inst, calls, family, lo, state):
                    inside = [inc for k, _, inc in values if start <= self.time(k) < end]
                    if sample == name and inside:
                        out[labels] = out.get(labels, 0.0) + sum(inside)
        return out

    # --- OpenMetrics ------------------------------------------------------------------------------
    def write_chunks(self, folder: Path, seconds: int = 86400) -> Iterator[Path]:
        """Write the period in files of ``seconds`` each, aligned to multiples of ``seconds`` since the
        unix epoch (as promtool aligns blocks of that duration), yielding each file once written."""
        folder.mkdir(parents=True, exist_ok=True)
        state: dict = {}
        for a in range(self.start - self.start % seconds, self.end, seconds):
            path = folder / f"{a}.om"
            with path.open("w", encoding="utf-8") as out:
                self._write(out, list(self._pieces(a, a + seconds)), state)
            yield path

    def write_openmetrics(self, path: Path) -> int:
        """Write the whole period to one file; returns the number of samples."""
        with path.open("w", encoding="utf-8") as out:
            return self._write(out, list(self._pieces(self.start, self.end)), {})

    def _write(self, out: TextIO, days: list[tuple[int, int, int]], state: dict) -> int:
        """Families one after the other, each series' samples together and in time order. (A histogram's
        buckets are written series by series: promtool reads that; a strict OpenMetrics parser wants
        each timestamp's buckets together.)"""
        calls = {day: self._day_calls(day, lo, hi) for day, lo, hi in days}
        times = {k: str(self.time(k)) for _, lo, hi in days for k in range(lo, hi)}
        count = 0
        for family, kind in _FAMILIES:
            out.write(f"# TYPE {family} {kind}\n")
            for inst in self.instances:
                if family == "target":
                    prefix = f'target_info{{instance="{inst.instance}",job="{inst.job}",service_name="{inst.job}"}} 1 '
                    up = [times[k] for _, lo, hi in days for k in range(lo, hi) if k not in inst.down]
                    out.write("".join(f"{prefix}{t}\n" for t in up))
                    count += len(up)
                    continue
                lines: dict[tuple[str, Labels], list[str]] = {}
                for day, lo, _ in days:
                    for sample, labels, values in self._values(inst, calls[day], family, lo, state):
                        prefix = sample + "{" + ",".join(f'{k}="{v}"' for k, v in labels) + "} "
                        lines.setdefault((sample, labels), []).append(
                            "".join(f"{prefix}{_num(v)} {times[k]}\n" for k, v, _ in values)
                        )
                        count += len(values)
                for chunks in lines.values():
                    out.writelines(chunks)
        out.write("# EOF\n")
        return count


_HISTOGRAMS = ("gen_ai_client_operation_duration_seconds", "gen_ai_client_token_usage")
_FAMILIES = (
    ("gen_ai_client_cost_usd", "counter"),
    ("gen_ai_client_cost_savings_usd", "counter"),
    ("gen_ai_client_tokens", "counter"),
    ("gen_ai_client_unpriced", "counter"),
    ("gen_ai_client_operation_duration_seconds", "histogram"),
    ("gen_ai_client_token_usage", "histogram"),
    ("target", "info"),
)
_Rows = tuple[str, Labels, list[float], list[int]]
_Calls = tuple[list[int], list[int], int, int]  # ok and failed calls per scrape; their sums before
_Samples = tuple[str, Labels, list[tuple[int, float, float]]]


def _family(sample: str) -> str:
    for suffix in ("_bucket", "_count", "_sum"):
        if sample.endswith(suffix) and sample[: -len(suffix)] in _HISTOGRAMS:
            return sample[: -len(suffix)]
    return sample.removesuffix("_total")


def _histogram(
    name: str, labels: Labels, calls: list[int], before: int, bounds: tuple[float, ...], median: float, mean: float
) -> Iterator[_Rows]:
    """Increments of each series of one histogram: a fixed share of the day's running count of calls
    (``before`` the first scrape, then ``calls`` at each) in each bucket."""
    shares = [_lognormal_cdf(b, median) for b in bounds]
    cumulative = before
    previous, rows = [int(cumulative * s) for s in shares] + [cumulative], []
    for n in calls:
        cumulative += n
        counts = [int(cumulative * s) for s in shares] + [cumulative]
        rows.append([c - p for c, p in zip(counts, previous, strict=True)])
        previous = counts
    for j, bound in enumerate((*bounds, math.inf)):
        le = "+Inf" if bound == math.inf else _num(float(bound))
        yield f"{name}_bucket", _merge(labels, (("le", le),)), [float(r[j]) for r in rows], calls
    yield f"{name}_count", labels, [float(n) for n in calls], calls
    yield f"{name}_sum", labels, [n * mean for n in calls], calls


def _lognormal_cdf(x: float, median: float, sigma: float = 0.6) -> float:
    return 0.5 * math.erfc(-(math.log(x / median)) / (sigma * math.sqrt(2)))


def _merge(labels: Labels, extra: Labels) -> Labels:
    return tuple(sorted(labels + extra))


def _quantize(value: float, quantum: float) -> float:
    return max(1, round(value / quantum)) * quantum


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
