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


def test_budget_settings(caplog: pytest.LogCaptureFixture) -> None:
    assert (config.load({}).budgets_file, config.load({}).budgets_prometheus_url) == (None, None)
    good = config.load(
        {
            "GENAI_COST_BUDGETS_FILE": " budgets.yaml ",
            "GENAI_COST_BUDGETS_PROMETHEUS_URL": "http://prometheus:9090/prom/",
            "GENAI_COST_BUDGETS_REFRESH": "5",
            "GENAI_COST_BUDGETS_UNREADABLE": "Closed",
        }
    )
    assert (good.budgets_file, good.budgets_prometheus_url) == ("budgets.yaml", "http://prometheus:9090/prom")
    assert (good.budgets_refresh, good.budgets_unreadable) == (5, "closed")
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        bad = config.load(
            {
                "GENAI_COST_BUDGETS_PROMETHEUS_URL": "prometheus:9090",
                "GENAI_COST_BUDGETS_REFRESH": "0",
                "GENAI_COST_BUDGETS_UNREADABLE": "shut",
            }
        )
    assert (bad.budgets_prometheus_url, bad.budgets_refresh, bad.budgets_unreadable) == (None, 30, "open")
    assert [r.getMessage() for r in caplog.records] == [
        "genai-cost: ignoring GENAI_COST_BUDGETS_PROMETHEUS_URL='prometheus:9090': expected an http(s) URL",
        "genai-cost: ignoring GENAI_COST_BUDGETS_REFRESH='0': expected a positive integer; using 30",
        "genai-cost: ignoring GENAI_COST_BUDGETS_UNREADABLE='shut': expected one of open, closed; using open",
    ]
