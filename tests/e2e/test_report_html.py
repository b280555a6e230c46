"""The HTML report opened by a real headless Chromium: it loads offline (no request but the file
itself), with no console error, and every chart draws the expected number of series and points.
A full-page screenshot is kept under pytest's tmp folder (its path is printed)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genai_cost.cli import main
from tests.e2e import report_data
from tests.e2e.test_report_advise import MONTH, MONTH_TEXT, YEAR
from tests.helpers.backfill import backfilled_prometheus, openmetrics
from tests.helpers.chromium import PLOTLY_CHARTS, Chromium

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("report-html")
    text = openmetrics(report_data.series(YEAR, MONTH))
    budgets = [REPO / "prometheus" / "budgets.yml"]
    with backfilled_prometheus(workdir / "prom", text, rule_files=budgets) as prom:
        prom.wait_for("genai_cost:budget_usd:monthly", timeout=30)
        output = workdir / "report.html"
        args = ["report", "--prometheus", prom.url, "--month", MONTH_TEXT, "--format", "html", "-o", str(output)]
        assert main(args) == 0
    with Chromium(workdir / "chromium") as browser, browser.page() as page:
        page.open(output)
        charts = {chart["id"]: chart for chart in page.evaluate(PLOTLY_CHARTS)}
        shot = page.screenshot(workdir / "report.png")
        print(f"\nHTML report screenshot: {shot}")
        yield {"charts": charts, "errors": page.console_errors, "requests": page.requests, "shot": shot,
               "advice": page.evaluate("document.querySelectorAll('#advice > li').length"), "html": output}  # fmt: skip


def test_loads_offline_without_console_errors(opened: dict[str, Any]) -> None:
    assert opened["errors"] == []
    assert opened["requests"] == [opened["html"].resolve().as_uri()]
    assert opened["shot"].stat().st_size > 20_000


def test_every_chart_draws_its_series_and_points(opened: dict[str, Any]) -> None:
    days = calendar.monthrange(YEAR, MONTH)[1]
    expected = {
        # one stacked series per model, a point per day
        "chart-cost-daily": [days, days, days],
        # saved USD (bars) and hit rate (line), a point per day
        "chart-cache": [days, days],
        # one provider: openai
        "chart-share": [1],
        # the three models
        "chart-top": [3],
        # month to date, forecast and budget for the total and the four monthly budgets of budgets.yml
        "chart-budgets": [5, 5, 5],
    }
    charts = opened["charts"]
    assert set(charts) == set(expected)
    for chart_id, points in expected.items():
        assert charts[chart_id]["data"] == points, chart_id
        assert charts[chart_id]["drawn"] == points, chart_id
    assert charts["chart-cost-daily"]["names"] == ["openai / gpt-4o", "openai / o3", "openai / my-finetune"]


def test_advice_is_in_the_page(opened: dict[str, Any]) -> None:
    assert opened["advice"] == 8
