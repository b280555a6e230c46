"""anthropic/sdk_spans.py: the anthropic SDK's own spans, off by default or kept as children without tokens."""

from __future__ import annotations

import logging

import pytest

from genai_cost import config


def test_sdk_spans_setting(caplog: pytest.LogCaptureFixture) -> None:
    assert config.load({}).anthropic_sdk_spans == "off"
    assert config.load({"GENAI_COST_ANTHROPIC_SDK_SPANS": " Child "}).anthropic_sdk_spans == "child"
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        assert config.load({"GENAI_COST_ANTHROPIC_SDK_SPANS": "both"}).anthropic_sdk_spans == "off"
    [record] = caplog.records
    assert "GENAI_COST_ANTHROPIC_SDK_SPANS" in record.getMessage() and "'both'" in record.getMessage()
