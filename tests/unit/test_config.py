"""config.py: GENAI_COST_* parsing; a bad value warns once and falls back to the default."""

from __future__ import annotations

import logging

import pytest

from genai_cost import config


def test_bad_values_warn_once_and_fall_back(caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "GENAI_COST_PROVIDER_MAP": "good.host=groq,broken,bad.host=nosuch",
        "GENAI_COST_STREAM_USAGE": "sometimes",
    }
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        cfg = config.load(env)
    assert cfg.provider_map == {"good.host": "groq"}
    assert cfg.stream_usage == "auto"
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert any("GENAI_COST_PROVIDER_MAP" in m and "'broken'" in m for m in messages)
    assert any("GENAI_COST_PROVIDER_MAP" in m and "nosuch" in m for m in messages)
    assert any("GENAI_COST_STREAM_USAGE" in m and "sometimes" in m for m in messages)
