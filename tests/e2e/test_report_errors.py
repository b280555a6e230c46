"""Errors a user can act on: one line on stderr, an exit code, never a traceback."""

from __future__ import annotations

import json

import pytest

from genai_cost.cli import main
from tests.e2e.test_report_advise import MONTH_TEXT, prometheus  # noqa: F401 - the crafted month's Prometheus
from tests.helpers import free_port
from tests.helpers.stack import PrometheusServer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_prometheus_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "report", "--prometheus", url)
    assert (code, out) == (1, "")
    assert err == (
        f"genai-cost report: cannot reach Prometheus at {url} ([Errno 111] Connection refused); "
        "pass --prometheus URL or set GENAI_COST_PROMETHEUS_URL\n"
    )


def test_no_data_in_the_period(capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer) -> None:  # noqa: F811
    code, out, err = run(capsys, "report", "--prometheus", prometheus.url, "--month", "2020-01")
    assert (code, out) == (1, "")
    assert err.startswith("genai-cost report: no genai-cost data between 2020-01: no gen_ai_client_tokens_total series")


def test_unknown_label(capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer) -> None:  # noqa: F811
    code, out, err = run(capsys, "report", "--prometheus", prometheus.url, "--month", MONTH_TEXT, "--by", "team")
    assert (code, out) == (2, "")
    assert err.startswith("genai-cost report: unknown label 'team': the genai-cost counters in this period have ")
    assert "gen_ai_request_model" in err and "job" in err


def test_rules_not_loaded_is_said_and_the_raw_counters_used(
    capsys: pytest.CaptureFixture[str],
    prometheus: PrometheusServer,  # noqa: F811
) -> None:
    code, out, _ = run(capsys, "report", "--prometheus", prometheus.url, "--month", MONTH_TEXT, "--format", "json")
    assert code == 0
    notes = json.loads(out)["notes"]
    assert any("recording rules" in n and "are not loaded" in n and "raw counters" in n for n in notes)
    assert "no budgets: the rules of prometheus/budgets.yml are not loaded in this Prometheus" in notes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "Oct-2026"], "--month: expected YYYY-MM"),
        (["--last", "7 days"], "--last: expected a duration"),
        (["--month", "2026-01", "--last", "7d"], "choose one of --month, --last and --from"),
        (["--filter", "team"], "--filter: expected label=value"),
    ],
)
def test_bad_arguments(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, "report", "--prometheus", f"http://127.0.0.1:{free_port()}", *args)
    assert code == 2
    assert message in err
