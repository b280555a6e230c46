"""Per-call overhead of genai-cost against the bare SDK, its peers and the OTel SDK floor.

    python benchmarks/overhead.py            # full run (a few minutes)
    python benchmarks/overhead.py --quick    # smoke run for CI

Every (round, instrumentation) pair runs in a fresh process, so no instrumentation sees another's
patches; within a round the order is shuffled. Each process installs one instrumentation with a
real OTel SDK pipeline (batch span processor with a discarding exporter, an in-memory metric reader
collected at the end), warms up, then times batches of calls against canned bytes (workloads.py),
alternating batches through the instrumented method and through the method it wraps
(`__wrapped__`). Overhead is the median of those paired differences, so the drift of a busy,
shared machine cancels out; the spread shown is their 25th..75th percentiles. The `none` row has
nothing installed: its "overhead" is the noise of the method itself.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = ("official", "openllmetry", "openlit")
PEER_PACKAGES = {
    "official": "opentelemetry-instrumentation-genai-openai",
    "openllmetry": "opentelemetry-instrumentation-openai (OpenLLMetry)",
    "openlit": "openlit",
}


# --- one process, one instrumentation ------------------------------------------------------------


def _pipeline() -> tuple[Any, Any, Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def __init__(self) -> None:
            self.exported = 0

        def export(self, spans: Any) -> SpanExportResult:
            self.exported += len(spans)
            return SpanExportResult.SUCCESS

    exporter = Discard()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    return tracer_provider, MeterProvider(metric_readers=[reader]), exporter, reader


# CPU time of the whole process (background export threads included): on a shared machine the
# wall clock also counts the time other processes held the CPU.
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
_clock = CLOCKS["cpu"]


def _time_batch(call: Any, client: Any, n: int, bare: bool) -> float:
    started = _clock()
    for _ in range(n):
        call(client, bare)
    return (_clock() - started) / n * 1e6


def _paired(call: Any, client: Any, n: int, batches: int) -> list[tuple[float, float]]:
    """(bare, instrumented) per-call us of adjacent batches; which goes first alternates."""
    pairs = []
    for i in range(batches):
        gc.collect()
        if i % 2:
            bare = _time_batch(call, client, n, True)
            instrumented = _time_batch(call, client, n, False)
        else:
            instrumented = _time_batch(call, client, n, False)
            bare = _time_batch(call, client, n, True)
        pairs.append((bare, instrumented))
    return pairs


def _isolated_plain(workload: Any, client: Any, batches: int, n: int) -> list[float]:
    """Per-call us of the instrumentation's own wrapper around the SDK method, the SDK's round trip
    replaced by a response it parsed before: the instrumentation's work without the SDK's noise."""
    import wrapt

    method, kwargs, response = workload.canned_plain(client)
    if not isinstance(method, wrapt.BoundFunctionWrapper):  # nothing installed: nothing to time
        return [0.0] * batches

    def canned(*args: Any, **kw: Any) -> Any:
        return response

    wrapper, instance = method._self_wrapper, method._self_instance
    times = []
    for _ in range(batches):
        gc.collect()
        started = _clock()
        for _ in range(n):
            wrapper(canned, instance, (), kwargs)
        times.append((_clock() - started) / n * 1e6)
    return times


def worker(name: str, sdk: str, batches: int, plain_calls: int, stream_calls: int, clock: str) -> dict[str, Any]:
    global _clock
    _clock = CLOCKS[clock]
    sys.path.insert(0, str(HERE))
    from instrumentations import INSTRUMENTATIONS, Unavailable
    from workloads import WORKLOADS

    workload = WORKLOADS[sdk]
    tracer_provider, meter_provider, exporter, reader = _pipeline()
    try:
        INSTRUMENTATIONS[name].install(sdk, tracer_provider, meter_provider)
        client = workload.make_client()
        for _ in range(max(20, plain_calls // 2)):  # warm up: imports, price resolution, caches
            workload.plain(client, False)
            workload.stream(client, False)
    except Unavailable as error:
        return {"unavailable": str(error)}
    except Exception as error:  # e.g. a peer that installs but fails with this SDK version
        return {"unavailable": f"{type(error).__name__}: {error}"}
    plain = _paired(workload.plain, client, plain_calls, batches)
    stream = _paired(workload.stream, client, stream_calls, batches)
    long_stream = _paired(workload.long_stream, client, max(1, stream_calls // 5), batches)
    seen = workload.stream(client, False)
    tracer_provider.force_flush()
    metrics = reader.get_metrics_data()
    points = sum(
        len(m.data.data_points) for rm in metrics.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    ) if metrics else 0  # fmt: skip
    found = {"plain": plain, "stream": stream, "long_stream": long_stream, "chunks_seen": seen,
             "spans": exporter.exported, "points": points}  # fmt: skip
    found["plain_isolated"] = _isolated_plain(workload, client, batches, plain_calls)
    if name == "genai-cost":
        from instrumentations import genai_cost_chunk_us

        chunks = workload.parsed_chunks(client)
        found["chunk_isolated"] = genai_cost_chunk_us(sdk, chunks, tracer_provider, meter_provider)
    return found


# --- the driver ----------------------------------------------------------------------------------


def _run_worker(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", name, "--sdk", args.sdk, "--batches", str(args.batches),
               "--plain-calls", str(args.plain_calls), "--stream-calls", str(args.stream_calls),
               "--clock", args.clock]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"worker {name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 else values[0]


def _spread(values: list[float]) -> dict[str, float]:
    if len(values) == 1:
        return {"median": values[0], "p25": values[0], "p75": values[0]}
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": statistics.median(values), "p25": quartiles[0], "p75": quartiles[2]}


KINDS = ("plain", "stream", "long_stream")


def summarize(results: dict[str, dict[str, Any]], chunks: int, long_chunks: int) -> dict[str, Any]:
    """Per instrumentation and kind: the call with and without it, and the paired differences."""
    summary: dict[str, Any] = {}
    for name, found in results.items():
        if "unavailable" in found:
            summary[name] = {"unavailable": found["unavailable"]}
            continue
        row: dict[str, Any] = {}
        for kind in KINDS:
            pairs = found[kind]
            row[kind] = {
                "bare": _spread([b for b, _ in pairs]),
                "instrumented": _spread([i for _, i in pairs]),
                "overhead": _spread([i - b for b, i in pairs]),
            }
        # What one more chunk costs: the slope between the short and the long stream.
        row["per_chunk"] = (_overhead(row, "long_stream") - _overhead(row, "stream")) / (long_chunks - chunks)
        row["plain_isolated"] = _spread(found["plain_isolated"])
        if found.get("chunk_isolated"):
            row["chunk_isolated"] = statistics.median(found["chunk_isolated"])
        summary[name] = row
    return summary


def _overhead(row: dict[str, Any], kind: str = "plain") -> float:
    return float(row[kind]["overhead"]["median"])


def targets(summary: dict[str, Any]) -> list[str]:
    ours, floor = summary["genai-cost"], summary["floor"]
    peers = [summary[p] for p in PEERS if p in summary and "unavailable" not in summary[p]]
    lines = []
    for label, measure in (("end to end", _overhead), ("isolated", _isolated)):
        lines.append(
            f"genai-cost plain overhead / floor's, {label}: {measure(ours) / measure(floor):.2f} (target <= 1.1)"
        )
        if peers:
            fastest = min(measure(p) for p in peers)
            lines.append(
                f"genai-cost plain overhead / fastest peer's, {label}: {measure(ours) / fastest:.2f} (target <= 0.33)"
            )
    lines.append(f"genai-cost stream overhead per extra chunk, end to end: {ours['per_chunk']:.2f} us (target < 2)")
    if "chunk_isolated" in ours:
        lines.append(
            f"genai-cost per chunk, isolated (proxy + accumulator): {ours['chunk_isolated']:.2f} us (target < 2)"
        )
    return lines


def _isolated(row: dict[str, Any]) -> float:
    return float(row["plain_isolated"]["median"])


def _cell(spread: dict[str, float], sign: str = "") -> str:
    return f"{spread['median']:{sign}.0f} ({spread['p25']:{sign}.0f} .. {spread['p75']:{sign}.0f})"


def table(summary: dict[str, Any], chunks: int) -> str:
    lines = [
        "| instrumentation | plain call, us | plain overhead, us | its own work per plain call, us "
        f"| streamed call ({chunks} chunks), us | stream overhead, us | per extra chunk, us |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in summary.items():
        label = PEER_PACKAGES.get(name, name)
        if "unavailable" in row:
            lines.append(f"| {label} | not run: {row['unavailable']} | | | | | |")
            continue
        plain, stream = row["plain"], row["stream"]
        per_chunk = f"{row['per_chunk']:+.1f}"
        if "chunk_isolated" in row:
            per_chunk += f" (isolated: {row['chunk_isolated']:.2f})"
        lines.append(
            f"| {label} | {_cell(plain['instrumented'])} | {_cell(plain['overhead'], '+')} "
            f"| {_cell(row['plain_isolated'])} | {_cell(stream['instrumented'])} | {_cell(stream['overhead'], '+')} "
            f"| {per_chunk} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sdk", default="openai")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=10, help="timed batches of each kind per process")
    parser.add_argument("--plain-calls", type=int, default=200, help="plain calls per batch")
    parser.add_argument("--stream-calls", type=int, default=50, help="streamed calls per batch")
    parser.add_argument("--only", help="comma list of instrumentations to run (none and floor always run)")
    parser.add_argument("--clock", choices=CLOCKS, default="cpu", help="process CPU time (default) or wall time")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, few calls")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.sdk, args.batches, args.plain_calls, args.stream_calls, args.clock)))
        return 0
    if args.quick:
        args.rounds, args.batches, args.plain_calls, args.stream_calls = 1, 3, 40, 10

    sys.path.insert(0, str(HERE))
    from instrumentations import INSTRUMENTATIONS
    from workloads import WORKLOADS

    names = list(INSTRUMENTATIONS)
    if args.only:
        names = ["none", "floor", *(n for n in args.only.split(",") if n not in ("none", "floor"))]
    results: dict[str, dict[str, Any]] = {}
    for round_number in range(args.rounds):
        order = random.sample(names, len(names))
        for name in order:
            found = _run_worker(name, args)
            print(f"round {round_number + 1}/{args.rounds} {name}: {found.get('unavailable', 'done')}",
                  file=sys.stderr, flush=True)  # fmt: skip
            if "unavailable" not in found and name != "none" and not found["spans"]:
                raise SystemExit(f"{name} produced no spans: it is not measuring what it should")
            if "unavailable" in found:
                results[name] = found
            else:
                into = results.setdefault(name, {kind: [] for kind in KINDS})
                for kind in KINDS:
                    into[kind] += found[kind]
                into.setdefault("plain_isolated", []).extend(found["plain_isolated"])
                if "chunk_isolated" in found:
                    into.setdefault("chunk_isolated", []).append(found["chunk_isolated"])
    workload = WORKLOADS[args.sdk]
    summary = summarize({n: results[n] for n in names}, workload.chunks, workload.long_chunks)
    print(table(summary, workload.chunks))
    print()
    print("\n".join(targets(summary)))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
