"""Startup cost: what an instrumentation adds to a process that imports one SDK, and to its first call.

1. Process start. An app that imports only `openai` (with openai, anthropic and google-genai installed)
   is started in a fresh process under OpenTelemetry auto-instrumentation (what `opentelemetry-instrument`
   runs: `auto_instrumentation.initialize()` from its sitecustomize) with one family of GenAI
   instrumentations enabled at a time: none (the floor), genai-cost, the official OpenTelemetry ones,
   OpenLLMetry. Every other installed instrumentation stays as it is. The families are chosen by
   distribution, because the official and OpenLLMetry entry points share names (`openai`,
   `anthropic`) that OTEL_PYTHON_DISABLED_INSTRUMENTATIONS cannot tell apart. Measured: the child's CPU
   time (user + system) and peak RSS, interleaved rounds; "added" is the median of each round's
   difference from the floor, with its 25th..75th percentiles. A start's own noise (the floor's CPU
   varies by 100 ms and more from one start to the next) is far larger than genai-cost's share, so
   that share is also timed alone: in each round, a fresh process does the floor's start, then loads
   genai-cost's instrumentors exactly as `opentelemetry-instrument` does (its dependency check, the
   entry points, `instrument()`, the openai import hook), and times that step's CPU. With
   `--instructions`, one start of each (floor, genai-cost) also runs under valgrind's cachegrind,
   whose instruction counts do not vary from start to start.
2. The first priced call. A fresh process instruments the openai SDK (genai-cost, real OTel SDK
   pipeline), reaches `client.chat.completions` (the SDK imports that module on first use, and
   genai-cost patches it then) and makes two chat calls to the mock provider; the same without
   instrumentation. Reported, as extra wall time over the uninstrumented process, medians of paired
   rounds: the first use of `chat.completions`, the first call (with the mock answering at once, the
   worst case: nothing to overlap with; and after 200 ms, a fast real provider) and the second call.

genai-cost runs from this checkout's src/, byte-compiled first as pip compiles an installed wheel
(the peers are installed that way): otherwise every child would compile it from source, about
100 ms that no installed copy pays.

    python3 benchmarks/startup.py                  # 15 rounds; --rounds N, --json
    python3 benchmarks/startup.py --instructions   # and a start's instructions, under valgrind
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Distribution names of each family of GenAI instrumentations.
FAMILIES: dict[str, frozenset[str]] = {
    "floor": frozenset(),
    "genai-cost": frozenset({"genai-cost"}),
    "official": frozenset({
        "opentelemetry-instrumentation-genai-openai",
        "opentelemetry-instrumentation-genai-anthropic",
        "opentelemetry-instrumentation-google-genai",
    }),
    "openllmetry": frozenset({
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
        "opentelemetry-instrumentation-google-generativeai",
    }),
}  # fmt: skip
GENAI = frozenset().union(*FAMILIES.values())

APP = """
import openai
client = openai.OpenAI(api_key="sk-startup", base_url="http://127.0.0.1:9/v1")
"""


def start_child(family: str) -> None:
    """In the child: auto-instrumentation with one GenAI family, then the app."""
    import importlib.metadata

    from opentelemetry.instrumentation.auto_instrumentation import _load, initialize

    enabled = FAMILIES[family]
    every = importlib.metadata.entry_points

    def entry_points(**params: Any) -> Any:
        found = every(**params)
        if params.get("group") != "opentelemetry_instrumentor":
            return found
        return [ep for ep in found if ep.dist is None or ep.dist.name not in GENAI or ep.dist.name in enabled]

    _load.entry_points = entry_points  # type: ignore[attr-defined]
    initialize()
    exec(compile(APP, "app.py", "exec"), {})


def own_child() -> float:
    """In the child: the floor's start, then genai-cost's instrumentors loaded as opentelemetry-instrument
    loads them (the dependency check, the entry points, instrument(); openai is imported, so its
    import hook runs at once); the CPU seconds of that alone."""
    import importlib.metadata

    from opentelemetry.instrumentation.auto_instrumentation import _load

    start_child("floor")
    ours = [ep for ep in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
            if ep.dist is not None and ep.dist.name == "genai-cost"]  # fmt: skip
    _load.entry_points = lambda **params: ours if params.get("group") == "opentelemetry_instrumentor" else []
    distro = _load._load_distro()
    started = time.process_time()
    _load._load_instrumentors(distro)
    return time.process_time() - started


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OTEL_TRACES_EXPORTER="none",
        OTEL_METRICS_EXPORTER="none",
        OTEL_LOGS_EXPORTER="none",
        OTEL_SERVICE_NAME="startup",
        TRACELOOP_TRACE_CONTENT="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")])),
    )
    return env


def measure_start(family: str) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of one child process."""
    argv = [sys.executable, str(Path(__file__)), "--child", family]
    process = subprocess.Popen(argv, env=_child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{family}: {process.stderr.read().decode() if process.stderr else ''}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def count_instructions(family: str) -> int:
    """Instructions one child executes under valgrind's cachegrind: unlike CPU time, the same from one
    start to the next (hash randomisation off), so a difference of a few ms shows."""
    argv = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
            sys.executable, str(Path(__file__)), "--child", family]  # fmt: skip
    env = {**_child_env(), "PYTHONHASHSEED": "0"}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=600)
    return int(re.search(r"I\s+refs:\s+([\d,]+)", done.stderr).group(1).replace(",", ""))  # type: ignore[union-attr]


def run_instructions(floor_cpu_ms: float) -> dict[str, float]:
    """genai-cost's added instructions, and their CPU time at the rate the floor runs its own."""
    with ThreadPoolExecutor(2) as pool:
        floor, cost = pool.map(count_instructions, ["floor", "genai-cost"])
    added = cost - floor
    return {"floor": floor, "genai-cost": cost, "added": added, "added_ms": added / floor * floor_cpu_ms}


def measure_own() -> float:
    argv = [sys.executable, str(Path(__file__)), "--own-child"]
    done = subprocess.run(argv, env=_child_env(), capture_output=True, text=True, check=True, timeout=120)
    return float(done.stdout)


FIRST_CALL = """
import json, sys, time
import openai
instrumented, base_url, latency_ms = sys.argv[1] == "1", sys.argv[2], int(sys.argv[3])
if instrumented:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from genai_cost.openai import OpenAICostInstrumentor
    OpenAICostInstrumentor().instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
client = openai.OpenAI(api_key="sk-startup", base_url=base_url, max_retries=0)
started = time.perf_counter()
client.chat.completions  # the SDK imports the module here; genai-cost patches it as it is imported
times = [time.perf_counter() - started]
for _ in range(2):
    started = time.perf_counter()
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                   extra_body={"mock": {"latency_ms": latency_ms}})
    times.append(time.perf_counter() - started)
print(json.dumps(times))
"""


def measure_calls(base_url: str, instrumented: bool, latency_ms: int) -> list[float]:
    argv = [sys.executable, "-c", FIRST_CALL, "1" if instrumented else "0", base_url, str(latency_ms)]
    done = subprocess.run(argv, env=_child_env(), capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _quantile_ms(values: list[float], index: int) -> float:
    """The first (0) or third (2) quartile, in ms."""
    return statistics.quantiles(values, n=4)[index] * 1000


def run_start(rounds: int) -> dict[str, dict[str, float]]:
    samples: dict[str, list[tuple[float, float]]] = {family: [] for family in FAMILIES}
    own = []
    for _ in range(rounds):
        for family in FAMILIES:  # interleaved: machine noise spreads over every family alike
            samples[family].append(measure_start(family))
        own.append(measure_own())
    floor = samples["floor"]
    out = {}
    for family, values in samples.items():
        added = [c - f for (c, _), (f, _) in zip(values, floor, strict=True)]  # paired by round
        added_rss = [r - f for (_, r), (_, f) in zip(values, floor, strict=True)]
        out[family] = {
            "cpu_ms": _median_ms([c for c, _ in values]),
            "added_cpu_ms": _median_ms(added),
            "added_cpu_p25_ms": _quantile_ms(added, 0),
            "added_cpu_p75_ms": _quantile_ms(added, 2),
            "rss_mib": statistics.median(r for _, r in values),
            "added_rss_mib": statistics.median(added_rss),
        }
    out["genai-cost"]["own_cpu_ms"] = _median_ms(own)
    out["genai-cost"]["own_cpu_p25_ms"] = _quantile_ms(own, 0)
    out["genai-cost"]["own_cpu_p75_ms"] = _quantile_ms(own, 2)
    return out


def run_first_call(rounds: int) -> dict[str, dict[str, float]]:
    from genai_cost.mockprovider import MockProvider

    mock = MockProvider()  # in this process: the children's CPU is not shared with it
    mock.start()
    try:
        out = {}
        for latency_ms in (0, 200):
            bare: list[list[float]] = []
            cost: list[list[float]] = []
            for _ in range(rounds):
                bare.append(measure_calls(mock.base_url, False, latency_ms))
                cost.append(measure_calls(mock.base_url, True, latency_ms))
            # Each round's instrumented minus bare time, then per step: first use, first call, second call.
            extra = [[c - b for b, c in zip(bare_times, cost_times, strict=True)]
                     for bare_times, cost_times in zip(bare, cost, strict=True)]  # fmt: skip
            use, first_call, second_call = (list(step) for step in zip(*extra, strict=True))
            out[f"provider answers in {latency_ms} ms"] = {
                "first_use_extra_ms": _median_ms(use),
                "first_call_extra_ms": _median_ms(first_call),
                "first_call_extra_p25_ms": _quantile_ms(first_call, 0),
                "first_call_extra_p75_ms": _quantile_ms(first_call, 2),
                "second_call_extra_ms": _median_ms(second_call),
            }
        return out
    finally:
        mock.stop()


def table(start: dict[str, dict[str, float]], first: dict[str, dict[str, float]]) -> str:
    lines = [
        "| instrumentation | process CPU (ms) | added CPU (ms) | peak RSS (MiB) | added RSS (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for family, row in start.items():
        lines.append(f"| {family} | {row['cpu_ms']:.0f} | {row['added_cpu_ms']:+.1f} "
                     f"({row['added_cpu_p25_ms']:+.0f} .. {row['added_cpu_p75_ms']:+.0f}) | {row['rss_mib']:.1f} "
                     f"| {row['added_rss_mib']:+.1f} |")  # fmt: skip
    own = start["genai-cost"]
    lines += ["", f"genai-cost's own start work, timed alone: {own['own_cpu_ms']:.1f} ms of CPU "
              f"({own['own_cpu_p25_ms']:.1f} .. {own['own_cpu_p75_ms']:.1f})"]  # fmt: skip
    lines += ["", "| genai-cost, openai chat call | first use of chat.completions, extra (ms) "
              "| first call, extra (ms) | second call, extra (ms) |"]  # fmt: skip
    lines += ["|---|---:|---:|---:|"]
    for case, row in first.items():
        lines.append(f"| {case} | {row['first_use_extra_ms']:+.2f} | {row['first_call_extra_ms']:+.2f} "
                     f"({row['first_call_extra_p25_ms']:+.1f} .. {row['first_call_extra_p75_ms']:+.1f}) "
                     f"| {row['second_call_extra_ms']:+.2f} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--instructions", action="store_true", help="also count a start's instructions (valgrind)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--own-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        start_child(args.child)
        return 0
    if args.own_child:
        print(own_child())
        return 0
    compileall.compile_dir(ROOT / "src", quiet=1)  # as an installed wheel is (see the docstring)
    load = os.getloadavg()[0]
    start = run_start(args.rounds)
    first = run_first_call(args.rounds)
    counted = run_instructions(start["floor"]["cpu_ms"]) if args.instructions else None
    if args.json:
        figures = {"load_average": load, "start": start, "first_call": first, "instructions": counted}
        print(json.dumps(figures, indent=2))
    else:
        print(f"{args.rounds} rounds, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"load average {load:.1f}, Python {sys.version.split()[0]}")  # fmt: skip
        print(table(start, first))
        if counted:
            print(f"\ninstructions of a start: floor {counted['floor']:,}, genai-cost {counted['genai-cost']:,}: "
                  f"+{counted['added']:,}, {counted['added_ms']:.1f} ms at the floor's rate")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
