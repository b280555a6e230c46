"""`genai-cost report --format focus` against FinOps FOCUS 1.2 (tests/helpers/focus.py): every column
the specification marks mandatory, values of the right type and in the allowed sets, and BilledCost
adding up to the report's total."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.e2e.test_report_advise import prometheus, run  # noqa: F401 - the module's Prometheus fixture
from tests.helpers.focus import MANDATORY, TOKEN_COLUMNS, check_row
from tests.helpers.stack import PrometheusServer

REL = 1e-9


@pytest.fixture(scope="module")
def focus(prometheus: PrometheusServer) -> tuple[list[dict[str, str]], list[str], dict]:  # noqa: F811
    import contextlib

    from genai_cost.cli import main
    from tests.e2e.test_report_advise import MONTH_TEXT

    def call(*args: str) -> str:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main([*args, "--prometheus", prometheus.url, "--month", MONTH_TEXT]) == 0
        return buffer.getvalue()

    reader = csv.DictReader(io.StringIO(call("report", "--format", "focus", "--by", "service")))
    rows = list(reader)
    report = json.loads(call("report", "--format", "json"))
    return rows, list(reader.fieldnames or []), report


def test_every_mandatory_column(focus: tuple) -> None:
    rows, columns, _ = focus
    assert MANDATORY <= set(columns)
    custom = [c for c in columns if c.startswith("x_")]
    assert TOKEN_COLUMNS <= set(custom)
    assert rows


def test_values_are_valid(focus: tuple) -> None:
    rows, _, _ = focus
    for row in rows:
        assert set(check_row(row)) == {"job"}


def test_billed_cost_adds_up_to_the_report_total(focus: tuple) -> None:
    rows, _, report = focus
    assert sum(float(row["BilledCost"]) for row in rows) == pytest.approx(report["total"]["cost_usd"], rel=REL)
    assert sum(float(row["x_InputTokens"]) for row in rows) == pytest.approx(report["total"]["input_tokens"], rel=REL)
    by_model: dict[str, float] = {}
    for row in rows:
        by_model[row["x_Model"]] = by_model.get(row["x_Model"], 0.0) + float(row["BilledCost"])
    assert by_model["gpt-4o"] == pytest.approx(33.75, rel=REL)
    assert {row["ProviderName"] for row in rows} == {"OpenAI"}
