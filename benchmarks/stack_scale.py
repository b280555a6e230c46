"""Every dashboard panel at fleet scale: a synthetic fleet backfilled into a real Prometheus.

    python benchmarks/stack_scale.py --preset small                 # minutes
    python benchmarks/stack_scale.py --preset medium --rounds 5     # 20 services x 2, 30 days (an hour or more)
    python benchmarks/stack_scale.py --preset medium --reuse DIR    # query an existing backfill again

1. The fleet (tests/helpers/fleet.py: the series genai-cost exports, restarts, label sets coming and
   going) is written as OpenMetrics and backfilled with `promtool tsdb create-blocks-from openmetrics`.
2. Every recording rule of prometheus/rules/ is backfilled with `promtool tsdb create-blocks-from
   rules`, level by level (tests/helpers/backfill.py).
3. Prometheus starts on that data with the shipped rules, alerts and budgets, compacts the
   backfilled blocks (the benchmark waits until it has been idle for a minute), and every panel query
   of every dashboard runs as Grafana sends it (benchmarks/grafana_queries.py) for the last 24 h,
   7 d and 30 d of the fleet, ``--rounds`` times each (the first round warms the caches and is not
   counted). Reported: p50 / p95 / max per query, the p95 and max over all queries per window,
   empty answers, series counts, TSDB size and Prometheus's resident memory, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.grafana_queries import Query, queries, variables  # noqa: E402
from tests.helpers import fleet  # noqa: E402
from tests.helpers.alerting import BUDGETS, RULE_FILES  # noqa: E402
from tests.helpers.backfill import backfill_raw, backfill_rules  # noqa: E402
from tests.helpers.stack import PrometheusServer  # noqa: E402

WINDOWS = {"24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
DASHBOARDS = sorted((REPO / "grafana" / "dashboards").glob("*.json"))


def prometheus(workdir: Path, rules: bool = False) -> PrometheusServer:
    args = ["--storage.tsdb.retention.time=10y", "--query.max-samples=200000000"]
    return PrometheusServer(
        workdir, {}, rule_files=[*RULE_FILES, BUDGETS] if rules else (), interval="1m", extra_args=args
    )


def get(url: str) -> tuple[Any, float]:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - loopback only
        body = json.loads(response.read())
    elapsed = time.perf_counter() - began
    if body.get("status") != "success":
        raise RuntimeError(f"{url}: {body}")
    return body["data"], elapsed


def run_query(base: str, q: Query) -> tuple[int, float]:
    """(number of series, seconds) of one query as Grafana sends it."""
    if q.instant:
        params = {"query": q.expr, "time": str(q.end)}
        data, elapsed = get(f"{base}/api/v1/query?{urllib.parse.urlencode(params)}")
    else:
        params = {"query": q.expr, "start": str(q.start), "end": str(q.end), "step": str(q.step)}
        data, elapsed = get(f"{base}/api/v1/query_range?{urllib.parse.urlencode(params)}")
    return len(data["result"]), elapsed


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def wait_for_compaction(pid: int, quiet: float = 60, limit: float = 7200) -> float:
    """Seconds until Prometheus is done merging the backfilled blocks: until it uses under 2% of a
    core for ``quiet`` seconds. Promtool writes a block per rule and 2 hours; a query over thousands
    of small blocks is far slower than over the few that Prometheus makes of them, and a query
    during a compaction shares the CPU with it."""
    began = time.monotonic()
    busy_until = began
    last = cpu_seconds(pid)
    while time.monotonic() - busy_until < quiet and time.monotonic() - began < limit:
        time.sleep(10)
        now = cpu_seconds(pid)
        if now - last > 0.2:  # 2% of a core over the 10 seconds
            busy_until = time.monotonic()
        last = now
    return busy_until - began


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(base: str, end: int, rounds: int, windows: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for window in windows:
        seconds = WINDOWS[window]
        start = end - seconds
        variable_times: list[float] = []

        def label_values(
            selector: str, label: str, start: int = start, times: list[float] = variable_times
        ) -> list[str]:
            params = {"match[]": selector, "start": str(start), "end": str(end)}
            data, elapsed = get(f"{base}/api/v1/label/{label}/values?{urllib.parse.urlencode(params)}")
            times.append(elapsed)
            return sorted(data)

        rows = []
        for path in DASHBOARDS:
            values = variables(json.loads(path.read_text()), label_values)
            for q in queries(path, start, end, values):
                counts, times = [], []
                for round_ in range(rounds + 1):
                    count, elapsed = run_query(base, q)
                    counts.append(count)
                    if round_:
                        times.append(elapsed)
                rows.append({"query": q.name, "instant": q.instant, "step": q.step, "series": counts[-1],
                             "p50_ms": 1000 * statistics.median(times), "p95_ms": 1000 * percentile(times, 95),
                             "max_ms": 1000 * max(times), "times_ms": [1000 * t for t in times]})  # fmt: skip
        every = [t for row in rows for t in row["times_ms"]]
        report[window] = {
            "queries": rows, "p50_ms": statistics.median(every), "p95_ms": percentile(every, 95), "max_ms": max(every),
            "over_100ms": sorted({r["query"] for r in rows if r["max_ms"] > 100}),
            "empty": sorted(r["query"] for r in rows if r["series"] == 0),
            "variables_max_ms": 1000 * max(variable_times, default=0.0),
        }  # fmt: skip
    return report


def resources(prom: PrometheusServer, data: Path, end: int) -> dict[str, Any]:
    def count(selector: str) -> int:
        result = prom.query(f"count({{__name__=~{selector!r}}})", at=end)
        return int(float(result[0]["value"][1])) if result else 0

    head = prom.api("status/tsdb")
    status = Path(f"/proc/{prom.process.proc.pid}/status").read_text()
    memory = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}  # fmt: skip
    size = 0
    for path in data.rglob("*"):
        try:
            size += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:  # a block Prometheus is compacting right now
            pass
    return {"tsdb_bytes": size, "rss_bytes": memory.get("VmRSS"), "peak_rss_bytes": memory.get("VmHWM"),
            "head_series": head["headStats"]["numSeries"], "load_average": os.getloadavg(),
            "count_at_end": {"raw": count("gen_ai_.+|target_info"), "recorded": count("genai_cost:.+")}}  # fmt: skip


def series_in_blocks(data: Path) -> dict[str, int]:
    """Series per block (raw and recorded blocks), from the blocks' meta.json."""
    out: dict[str, int] = {}
    for meta in sorted(data.glob("*/meta.json")):
        stats = json.loads(meta.read_text())["stats"]
        out[meta.parent.name] = stats.get("numSeries", 0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(fleet.PRESETS), default="small")
    parser.add_argument("--days", type=float, help="override the preset's days")
    parser.add_argument("--workdir", type=Path, help="where the data goes (default: /tmp/genai-cost-scale-PRESET)")
    parser.add_argument("--reuse", action="store_true", help="skip the backfill stages already done in workdir")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--windows", nargs="+", choices=list(WINDOWS), default=list(WINDOWS))
    parser.add_argument("--rules-hours", type=float, help="backfill the rules over the last HOURS only (quicker)")
    args = parser.parse_args(argv)
    spec = fleet.preset(args.preset, **({"days": args.days} if args.days else {}))
    fl = fleet.Fleet(spec)
    workdir = args.workdir or Path(f"/tmp/genai-cost-scale-{args.preset}")
    data = workdir / "data"
    timings = {}
    if not (args.reuse and (workdir / "raw.done").exists()):
        began = time.monotonic()
        backfill_raw(fl, data, workdir)
        timings["raw_backfill_s"] = time.monotonic() - began
        (workdir / "raw.done").write_text(json.dumps(timings))
    else:
        timings.update(json.loads((workdir / "raw.done").read_text() or "{}"))
    if not (args.reuse and (workdir / "rules.done").exists()):
        began = time.monotonic()
        start = fl.end - int(args.rules_hours * 3600) if args.rules_hours else fl.start
        backfill_rules(lambda: prometheus(workdir), [*RULE_FILES, BUDGETS], start, fl.end, data)
        timings["rules_backfill_s"] = time.monotonic() - began
        timings["rules_backfill_hours"] = (fl.end - start) / 3600
        (workdir / "rules.done").write_text(json.dumps(timings))
    else:
        timings.update(json.loads((workdir / "rules.done").read_text() or "{}"))
    with prometheus(workdir, rules=True) as prom:
        timings["compaction_s"] = wait_for_compaction(prom.process.proc.pid)
        began = time.monotonic()
        report = {
            "spec": spec.__dict__,
            "timings": timings,
            "windows": measure(prom.url, fl.end, args.rounds, args.windows),
        }
        report["query_run_s"] = time.monotonic() - began
        report["resources"] = resources(prom, data, fl.end)
    report["block_series"] = series_in_blocks(data)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    print_report(report)
    return 0


def print_report(report: dict[str, Any]) -> None:
    res = report["resources"]
    print(f"TSDB {res['tsdb_bytes'] / 2**30:.2f} GiB, Prometheus RSS {res['rss_bytes'] / 2**20:.0f} MiB "
          f"(peak {res['peak_rss_bytes'] / 2**20:.0f} MiB), series at the end: {res['count_at_end']}, "
          f"load average {res['load_average']}")  # fmt: skip
    for window, w in report["windows"].items():
        print(f"\n{window}: p50 {w['p50_ms']:.1f} ms, p95 {w['p95_ms']:.1f} ms, max {w['max_ms']:.1f} ms; "
              f"over 100 ms: {len(w['over_100ms'])}; empty: {w['empty'] or 'none'}; "
              f"variables max {w['variables_max_ms']:.1f} ms")  # fmt: skip
        print("| query | step | series | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|")
        for row in w["queries"]:
            step = "instant" if row["instant"] else f"{row['step']}s"
            print(f"| {row['query']} | {step} | {row['series']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} "
                  f"| {row['max_ms']:.1f} |")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
