"""FinOps FOCUS 1.2 rules for `genai-cost report --format focus` rows.

The column list and rules are read from the FOCUS 1.2 column definitions (specification/columns/*.md,
"Feature level: Mandatory"), not from the code under test.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest

MANDATORY = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}  # fmt: skip
NOT_NULL = MANDATORY - {"ChargeClass", "BillingAccountName", "ChargeDescription"}
DECIMALS = ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "PricingQuantity", "ConsumedQuantity")
TOKEN_COLUMNS = {"x_InputTokens", "x_CacheReadTokens", "x_CacheWriteTokens", "x_OutputTokens", "x_ReasoningTokens"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}


def moment(text: str) -> datetime:
    assert ISO_UTC.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_row(row: dict[str, str]) -> dict[str, object]:
    """Assert one row is valid FOCUS 1.2 as genai-cost writes it; its Tags, parsed."""
    for column in NOT_NULL:
        assert row[column] != "", (column, row)
    for column in DECIMALS:
        Decimal(row[column])  # a valid decimal
    assert row["ChargeCategory"] in CHARGE_CATEGORIES and row["ChargeCategory"] == "Usage"
    assert row["ChargeClass"] in ("", "Correction")
    assert row["ServiceCategory"] == "AI and Machine Learning"
    assert row["BillingCurrency"] == "USD"
    assert row["PricingUnit"] == row["ConsumedUnit"] == "Tokens"
    start, end = moment(row["ChargePeriodStart"]), moment(row["ChargePeriodEnd"])
    bill_start, bill_end = moment(row["BillingPeriodStart"]), moment(row["BillingPeriodEnd"])
    assert bill_start <= start < end <= bill_end
    assert (end - start).total_seconds() <= 86400
    tokens = float(row["x_InputTokens"]) + float(row["x_OutputTokens"])
    assert float(row["PricingQuantity"]) == pytest.approx(tokens, rel=1e-9)
    assert row["ListCost"] == row["EffectiveCost"] == row["BilledCost"] == row["ContractedCost"]
    tags = json.loads(row["Tags"])
    assert isinstance(tags, dict)
    assert all(isinstance(v, str | int | float | bool) for v in tags.values())
    return tags
