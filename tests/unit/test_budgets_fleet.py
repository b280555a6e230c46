"""The fleet's spend from a real Prometheus holding known samples (backfilled with promtool): exact
for series alive across the period's start and for series born or ended inside it; Prometheus'
estimate for a series whose counter reset inside it."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from genai_cost.budgets.fleet import FleetReader, Query, read, spend_query
from tests.helpers import free_port
from tests.helpers.stack import PrometheusServer, binary

W = 3600  # the period: the last hour before T
STEP = 15  # seconds between samples, as a scrape interval
T = (int(time.time()) // 3600 - 5) * 3600  # five hours ago: older than the head block, within retention


def samples(values: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Step-wise series: each (from_offset, value) holds until the next one, sampled every STEP seconds."""
    points = []
    for (start, value), (end, _) in zip(values, [*values[1:], (values[-1][0] + STEP, 0.0)], strict=True):
        points += [(t, value) for t in range(start, end, STEP)]
    return points


SERIES = {
    # alive across the start (10.0 then), grows to 13.0 by T: 3.0 in the period
    ("acme", "1"): samples([(-W - 600, 10.0), (-1200, 12.0), (-300, 13.0), (0, 13.0)]),
    # born inside: its first priced call made it 2.0, then 2.5: all 2.5 in the period
    ("acme", "2"): samples([(-1800, 2.0), (-600, 2.5), (0, 2.5)]),
    # alive across the start (1.0), grew to 1.7 and ended inside the period: 0.7
    ("beta", "3"): samples([(-W - 600, 1.0), (-2400, 1.7), (-1200, 1.7)]),
    # reset inside (a restart under the same labels): Prometheus' increase() estimate
    ("gamma", "4"): samples([(-W - 600, 5.0), (-2000, 6.0), (-1000, 0.5), (-300, 1.5), (0, 1.5)]),
}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    workdir = tmp_path_factory.mktemp("fleet-prometheus")
    lines = ["# TYPE gen_ai_client_cost_usd counter"]
    for (tenant, instance), points in SERIES.items():
        labels = f'tenant_id="{tenant}",instance="{instance}",job="app"'
        lines += [f"gen_ai_client_cost_usd_total{{{labels}}} {value} {T + t}" for t, value in points]
    source = workdir / "samples.om"
    source.write_text("\n".join([*lines, "# EOF", ""]), encoding="utf-8")
    subprocess.run(
        [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source), str(workdir / "data")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    with PrometheusServer(workdir, scrape_targets={}) as server:
        yield server


def test_exact_for_series_alive_across_the_start_and_born_inside(prometheus: PrometheusServer) -> None:
    spend = read(prometheus.url, Query(("tenant_id",), "daily", lambda now: W), T, timeout=10)
    assert spend["acme"] == pytest.approx(3.0 + 2.5, rel=1e-12)
    assert spend["beta"] == pytest.approx(0.7, rel=1e-12)
    # The reset series: increase() counts 1.0 before the reset and 1.5 after, then extrapolates.
    assert spend["gamma"] == pytest.approx(2.5, rel=0.1)


def test_increase_alone_would_lose_what_a_new_series_spent_first(prometheus: PrometheusServer) -> None:
    estimate = prometheus.query('sum(increase(gen_ai_client_cost_usd_total{tenant_id="acme"}[3600s]))', at=T)
    assert float(estimate[0]["value"][1]) < 5.0  # what the guard's query avoids


def test_global_spend_is_one_figure(prometheus: PrometheusServer) -> None:
    spend = read(prometheus.url, Query((), "daily", lambda now: W), T, timeout=10)
    assert list(spend) == [""] and spend[""] == pytest.approx(3.0 + 2.5 + 0.7 + 2.5, rel=0.05)


def test_an_unreachable_prometheus_is_reported_to_the_guard() -> None:
    errors: list[Exception] = []
    reads: list[object] = []
    reader = FleetReader(
        f"http://127.0.0.1:{free_port()}", [Query((), "daily", lambda now: W)], 1.0,
        lambda figures, now: reads.append(figures), errors.append,
    )  # fmt: skip
    reader.read_once()
    assert reads == [] and len(errors) == 1


def test_the_query_names_the_raw_counter_and_the_window() -> None:
    assert spend_query((), 60).startswith("sum (((last_over_time(gen_ai_client_cost_usd_total[60s])")
    assert "offset 60s" in spend_query(("job",), 60) and spend_query(("job",), 60).startswith("sum by (job) (")
