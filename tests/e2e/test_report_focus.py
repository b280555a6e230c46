"""`genai-cost report --format focus` against FinOps FOCUS 1.2: every column the specification marks
mandatory, values of the right type and in the allowed sets, and BilledCost adding up to the report's
total. The column list and rules below are read from the FOCUS 1.2 column definitions
(specification/columns/*.md, "Feature level: Mandatory"), not from the code under test."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest

from tests.e2e.test_report_advise import prometheus, run  # noqa: F401 - the module's Prometheus fixture
from tests.helpers.stack import PrometheusServer

MANDATORY = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}  # fmt: skip
NOT_NULL = MANDATORY - {"ChargeClass", "BillingAccountName", "ChargeDescription"}
DECIMALS = ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "ConsumedQuantity")
DATETIMES = ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd")
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
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


def _time(text: str) -> datetime:
    assert ISO_UTC.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_mandatory_column(focus: tuple) -> None:
    rows, columns, _ = focus
    assert MANDATORY <= set(columns)
    custom = [c for c in columns if c.startswith("x_")]
    assert {"x_InputTokens", "x_CacheReadTokens", "x_CacheWriteTokens", "x_OutputTokens", "x_ReasoningTokens"} <= set(
        custom
    )
    assert rows


def test_values_are_valid(focus: tuple) -> None:
    rows, _, _ = focus
    for row in rows:
        for column in NOT_NULL:
            assert row[column] != "", (column, row)
        for column in DECIMALS:
            Decimal(row[column])  # a valid decimal
        assert row["ChargeCategory"] in CHARGE_CATEGORIES and row["ChargeCategory"] == "Usage"
        assert row["ChargeClass"] in ("", "Correction")
        assert row["ServiceCategory"] == "AI and Machine Learning"
        assert row["BillingCurrency"] == "USD"
        assert row["PricingUnit"] == row["ConsumedUnit"] == "Tokens"
        start, end = _time(row["ChargePeriodStart"]), _time(row["ChargePeriodEnd"])
        bill_start, bill_end = _time(row["BillingPeriodStart"]), _time(row["BillingPeriodEnd"])
        assert bill_start <= start < end <= bill_end
        assert (end - start).total_seconds() <= 86400
        tokens = float(row["x_InputTokens"]) + float(row["x_OutputTokens"])
        assert float(row["PricingQuantity"]) == pytest.approx(tokens, rel=REL)
        assert row["ListCost"] == row["EffectiveCost"] == row["BilledCost"] == row["ContractedCost"]
        tags = json.loads(row["Tags"])
        assert isinstance(tags, dict) and set(tags) == {"job"}
        assert all(isinstance(v, str | int | float | bool) for v in tags.values())


def test_billed_cost_adds_up_to_the_report_total(focus: tuple) -> None:
    rows, _, report = focus
    assert sum(float(row["BilledCost"]) for row in rows) == pytest.approx(report["total"]["cost_usd"], rel=REL)
    assert sum(float(row["x_InputTokens"]) for row in rows) == pytest.approx(report["total"]["input_tokens"], rel=REL)
    by_model: dict[str, float] = {}
    for row in rows:
        by_model[row["x_Model"]] = by_model.get(row["x_Model"], 0.0) + float(row["BilledCost"])
    assert by_model["gpt-4o"] == pytest.approx(33.75, rel=REL)
    assert {row["ProviderName"] for row in rows} == {"OpenAI"}
