"""watch.begin and Watch.ended: nothing kept when nothing asks, and nothing raised into the call."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from opentelemetry.trace import INVALID_SPAN

import genai_cost
from genai_cost import names, watch
from genai_cost.call import Call
from genai_cost.endpoints import endpoint_for


def call() -> Call:
    telemetry = SimpleNamespace(guard=None)
    return Call(telemetry, INVALID_SPAN, "chat", endpoint_for("https://api.openai.com/v1"), "gpt-4.1")  # type: ignore[arg-type]


def test_nothing_asked_nothing_kept() -> None:
    c = call()
    watch.begin(c)
    assert c.watch is None


def test_a_track_block_is_noted_at_the_start_and_told_at_the_end() -> None:
    with genai_cost.track() as usage:
        c = call()
        watch.begin(c)
    assert c.watch is not None and usage.in_flight == 1
    c.watch.ended(c, {names.USAGE_COST: 0.5, names.USAGE_INPUT_TOKENS: 3}, 0.1)
    assert (usage.calls, usage.cost_usd, usage.input_tokens, usage.in_flight) == (1, 0.5, 3, 0)


def test_ended_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    with genai_cost.track():
        c = call()
        watch.begin(c)
    assert c.watch is not None
    with caplog.at_level(logging.DEBUG, logger="genai_cost"):
        c.watch.ended(c, {names.USAGE_INPUT_TOKENS: "not a number"}, 0.1)  # type: ignore[dict-item]
    assert "could not report a call" in caplog.text
