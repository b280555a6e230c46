"""`genai-cost report` on 62 days of a deterministic synthetic fleet (several services, providers,
models, teams and tenants; process restarts; label sets that start and stop inside the period),
backfilled into a real Prometheus with promtool: every figure of every group equals the truth
computed from the generated samples, for a calendar month, a period across a month boundary, and
the month's first and last days."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from genai_cost.cli import main
from tests.helpers import fleet
from tests.helpers.backfill import backfilled_prometheus
from tests.helpers.stack import PrometheusServer

START = calendar.timegm((2026, 9, 1, 0, 0, 0))
# The small preset over 62 days, scraped every 15 minutes (a month of 1-minute scrapes is tens of
# millions of samples: minutes of backfill for no more coverage of the arithmetic).
SPEC = fleet.preset("small", days=62, start=START, scrape_interval=900)
OCTOBER = (calendar.timegm((2026, 10, 1, 0, 0, 0)), calendar.timegm((2026, 11, 1, 0, 0, 0)))
REL = 1e-6
TOKEN_TYPES = ("input", "cache_read", "cache_write", "output", "reasoning")


@pytest.fixture(scope="module")
def fl() -> fleet.Fleet:
    return fleet.Fleet(SPEC)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, fl: fleet.Fleet) -> Iterator[PrometheusServer]:
    workdir = tmp_path_factory.mktemp("fleet")
    source = workdir / "fleet.om"
    fl.write_openmetrics(source)
    with backfilled_prometheus(workdir / "prom", source=source) as server:
        yield server


def report(prometheus: PrometheusServer, *args: str) -> dict[str, Any]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["report", "--prometheus", prometheus.url, "--format", "json", *args]) == 0
    return json.loads(buffer.getvalue())


def truth_by(fl: fleet.Fleet, name: str, start: int, end: int, by: Sequence[str]) -> dict[tuple, float]:
    return {tuple(sorted(k)): v for k, v in fleet.total(fl.truth(name, start, end), by=by).items()}


def expected(fl: fleet.Fleet, start: int, end: int, by: Sequence[str]) -> dict[tuple, dict[str, float]]:
    """Per group (sorted label pairs, empty values left out): the figures the report must show."""
    out: dict[tuple, dict[str, float]] = {}

    def put(key: tuple, figure: str, value: float) -> None:
        out.setdefault(key, {}).setdefault(figure, 0.0)
        out[key][figure] += value

    for figure, name in (("cost_usd", "gen_ai_client_cost_usd_total"),
                         ("cache_savings_usd", "gen_ai_client_cost_savings_usd_total"),
                         ("unpriced_calls", "gen_ai_client_unpriced_total")):  # fmt: skip
        for key, value in truth_by(fl, name, start, end, by).items():
            put(key, figure, value)
    for key, value in truth_by(fl, "gen_ai_client_tokens_total", start, end, [*by, "gen_ai_token_type"]).items():
        kind = dict(key)["gen_ai_token_type"]
        put(tuple(p for p in key if p[0] != "gen_ai_token_type"), f"{kind}_tokens", value)
    if all(label in ("job", "gen_ai_provider_name", "gen_ai_request_model") for label in by):
        calls = truth_by(fl, "gen_ai_client_operation_duration_seconds_count", start, end, [*by, "error_type"])
        for key, value in calls.items():
            group = tuple(p for p in key if p[0] != "error_type")
            put(group, "calls", value)
            put(group, "errors", value if dict(key).get("error_type") else 0.0)
    return out


def check(doc: dict[str, Any], truth: dict[tuple, dict[str, float]]) -> None:
    groups = {tuple(sorted((k, v) for k, v in g["labels"].items() if v)): g for g in doc["groups"]}
    assert set(groups) == set(truth)
    for key, figures in truth.items():
        for figure, value in figures.items():
            assert groups[key][figure] == pytest.approx(value, rel=REL, abs=1e-9), (key, figure)
        for kind in TOKEN_TYPES:
            assert groups[key][f"{kind}_tokens"] == pytest.approx(figures.get(f"{kind}_tokens", 0.0), rel=REL)
    total = sum(f.get("cost_usd", 0.0) for f in truth.values())
    assert doc["total"]["cost_usd"] == pytest.approx(total, rel=REL)


def test_the_fleet_restarts_and_churns(fl: fleet.Fleet) -> None:
    assert sum(len(i.restarts) for i in fl.instances) >= 20
    assert fl.end - fl.start >= 60 * 86400


@pytest.mark.parametrize(
    "by", [("gen_ai_provider_name", "gen_ai_request_model"), ("job",), ("team", "tenant_id")], ids=lambda b: "-".join(b)
)
def test_a_calendar_month_per_group(prometheus: PrometheusServer, fl: fleet.Fleet, by: Sequence[str]) -> None:
    doc = report(prometheus, "--month", "2026-10", "--by", ",".join(by))
    assert (doc["period"]["start"], doc["period"]["end"]) == ("2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
    check(doc, expected(fl, *OCTOBER, by))


def test_across_a_month_boundary(prometheus: PrometheusServer, fl: fleet.Fleet) -> None:
    start, end = calendar.timegm((2026, 9, 20, 0, 0, 0)), calendar.timegm((2026, 10, 11, 0, 0, 0))
    doc = report(prometheus, "--from", "2026-09-20", "--to", "2026-10-10", "--by", "model,service")
    check(doc, expected(fl, start, end, ("gen_ai_request_model", "job")))


def test_each_day_at_the_month_boundaries(prometheus: PrometheusServer, fl: fleet.Fleet) -> None:
    doc = report(prometheus, "--from", "2026-09-29", "--to", "2026-10-02", "--by", "provider")
    day = 86400
    first = calendar.timegm((2026, 9, 29, 0, 0, 0))
    assert [d["date"] for d in doc["daily"]] == ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"]
    for index, daily in enumerate(doc["daily"]):
        start = first + index * day
        truth = fleet.total(fl.truth("gen_ai_client_cost_usd_total", start, start + day))
        assert daily["cost_usd"] == pytest.approx(truth.get((), 0.0), rel=REL), daily["date"]
        tokens = fleet.total(fl.truth("gen_ai_client_tokens_total", start, start + day))
        assert sum(daily[f"{k}_tokens"] for k in TOKEN_TYPES) == pytest.approx(tokens.get((), 0.0), rel=REL)


def test_previous_period_is_september(prometheus: PrometheusServer, fl: fleet.Fleet) -> None:
    doc = report(prometheus, "--month", "2026-10", "--by", "provider")
    september = fleet.total(fl.truth("gen_ai_client_cost_usd_total", START, OCTOBER[0]))[()]
    assert doc["total"]["previous_cost_usd"] == pytest.approx(september, rel=REL)


@pytest.mark.parametrize("name,by", [
    ("gen_ai_client_cost_usd_total", ["gen_ai_provider_name", "gen_ai_request_model"]),
    ("gen_ai_client_tokens_total", ["team", "gen_ai_token_type"]),
])  # fmt: skip
def test_group_sums_are_prometheus_own_sums_to_the_last_bit(
    prometheus: PrometheusServer, name: str, by: Sequence[str]
) -> None:
    """The report sums each series' growth itself (Prometheus then reads each sample once): every
    group's sum, and the order of the groups (the order the totals are added in), must be exactly
    those of the `sum by` query that Prometheus answers, or a figure would move in its last digits."""
    from genai_cost.report.client import PromClient
    from genai_cost.report.exact import group_sums, last_queries

    client = PromClient(prometheus.url)
    day, lookback = 86400, 3600
    first, last = OCTOBER[0] + day, OCTOBER[1]
    at_end, at_start = (client.range(q, first, last, day) for q in last_queries(name, day, lookback))
    ours = group_sums(at_end, at_start, by)
    whole, back = f"{day + lookback}s", f"{lookback}s"
    theirs = client.range(
        f"sum by ({', '.join(by)}) (last_over_time({name}[{whole}]) - "
        f"(last_over_time({name}[{back}] offset {day}s) or last_over_time({name}[{whole}]) * 0))",
        first, last, day,
    )  # fmt: skip
    expected: dict[float, dict[tuple[str, ...], float]] = {}
    for series in theirs:  # Prometheus returns the groups in its order
        for at, value in series["values"]:
            expected.setdefault(float(at), {})[tuple(series["metric"].get(n, "") for n in by)] = float(value)
    assert len(expected) == 31 and sum(len(groups) for groups in expected.values()) > 31
    assert ours.keys() == expected.keys()
    for at, groups in expected.items():
        assert list(ours[at].items()) == list(groups.items()), at
