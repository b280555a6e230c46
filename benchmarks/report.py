"""How long `genai-cost report` takes for a month of a fleet: 20 services, 30 models, 50 tenants.

    python benchmarks/report.py [--interval 1800] [--data DIR] [--runs 3]

The fleet is tests/helpers/fleet.py's "medium" preset (20 services x 2 instances, 4 providers, 30
models, 50 tenants, 10 teams, process restarts every 1.5 days on average) over October 2026,
written as OpenMetrics and backfilled with promtool into DIR (kept: later runs reuse it). A real
Prometheus serves it; each run builds the whole month's report by provider and model (every figure,
the daily series, the previous month, the forecast) and renders the table, timed from the first
query to the last line. Run from the repository root (it imports tests.helpers).
"""

from __future__ import annotations

import argparse
import calendar
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import fleet  # noqa: E402
from tests.helpers.backfill import backfill_file  # noqa: E402
from tests.helpers.stack import PrometheusServer  # noqa: E402

from genai_cost.report import builder, formats, periods  # noqa: E402
from genai_cost.report.client import PromClient  # noqa: E402

START = calendar.timegm((2026, 10, 1, 0, 0, 0))


def prepare(data: Path, interval: int) -> tuple[fleet.Fleet, int]:
    fl = fleet.Fleet(fleet.preset("medium", days=31, start=START, scrape_interval=interval))
    marker = data / f"samples-{interval}"
    if marker.exists():
        return fl, int(marker.read_text())
    data.mkdir(parents=True, exist_ok=True)
    source = data / "fleet.om"
    began = time.perf_counter()
    samples = fl.write_openmetrics(source)
    print(f"wrote {samples:,} samples in {time.perf_counter() - began:.0f} s", flush=True)
    began = time.perf_counter()
    backfill_file(source, data / "data")
    print(f"backfilled in {time.perf_counter() - began:.0f} s", flush=True)
    source.unlink()
    marker.write_text(str(samples))
    return fl, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=int, default=1800, help="scrape interval of the fleet, seconds")
    parser.add_argument("--data", type=Path, default=Path("/tmp/genai-cost-report-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = args.data / f"medium-{args.interval}"
    fl, samples = prepare(data, args.interval)
    period = periods.month("2026-10", now=time.time())
    with PrometheusServer(data, scrape_targets={}, extra_args=["--storage.tsdb.retention.time=100y"]) as prom:
        client = PromClient(prom.url)
        client.instant("count(gen_ai_client_tokens_total)", period.end)  # open the blocks once
        times = []
        for _ in range(args.runs):
            client.queries = 0
            began = time.perf_counter()
            report = builder.build(client, period, ["gen_ai_provider_name", "gen_ai_request_model"], {})
            formats.table(report)
            times.append(time.perf_counter() - began)
        series = client.instant("count(last_over_time(gen_ai_client_tokens_total[31d]))", period.end)[0]["value"][1]
    restarts = sum(len(i.restarts) for i in fl.instances)
    print(
        f"fleet: {len(fl.instances)} processes, {fl.spec.models} models, {fl.spec.tenants} tenants, "
        f"{restarts} restarts; {series} token series; {samples:,} samples, one every {args.interval} s"
    )
    print(
        f"report --month 2026-10 --by provider,model: median {statistics.median(times):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in times)}); {client.queries} queries, "
        f"{report.raw_series} series walked after restarts, {len(report.groups)} groups, "
        f"total ${report.total.cost_usd:,.2f}"
    )
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
