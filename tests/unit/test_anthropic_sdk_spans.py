"""anthropic/sdk_spans.py: the anthropic SDK's own spans, off by default or kept as children without tokens."""

from __future__ import annotations

import logging
import math

import pytest

from genai_cost import config
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def outcome(extra_model: str) -> Outcome:
    return Outcome(
        usage=Usage(1000, 10),
        response_model="claude-sonnet-4-5",
        extra_usage=[(extra_model, Usage(2000, 20))],
    )


def test_sdk_spans_setting(caplog: pytest.LogCaptureFixture) -> None:
    assert config.load({}).anthropic_sdk_spans == "off"
    assert config.load({"GENAI_COST_ANTHROPIC_SDK_SPANS": " Child "}).anthropic_sdk_spans == "child"
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        assert config.load({"GENAI_COST_ANTHROPIC_SDK_SPANS": "both"}).anthropic_sdk_spans == "off"
    [record] = caplog.records
    assert "GENAI_COST_ANTHROPIC_SDK_SPANS" in record.getMessage() and "'both'" in record.getMessage()
