"""`on_call` functions: registered once, told in order, a raising one logged once and never raised."""

from __future__ import annotations

import logging

import pytest

import genai_cost
from genai_cost.callbacks import registry
from genai_cost.records import CallRecord

RECORD = CallRecord("openai", "chat", "m", "m", 1, 1, 0, 0, 0, 0.1, "bundled", None, 0.1, None)


def test_registered_functions_hear_of_each_call_until_removed() -> None:
    heard: list[CallRecord] = []
    assert genai_cost.on_call(heard.append) == heard.append
    genai_cost.on_call(heard.append)  # once only
    registry.notify(registry.listeners, RECORD)
    genai_cost.remove_on_call(heard.append)
    registry.notify(registry.listeners, RECORD)
    assert heard == [RECORD]


def test_a_raising_function_is_logged_once_and_the_next_one_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    heard: list[CallRecord] = []

    def broken(record: CallRecord) -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        for _ in range(3):
            registry.notify((broken, heard.append), RECORD)
    assert len(heard) == 3
    assert [r.getMessage() for r in caplog.records] == [
        f"genai-cost: the on_call function {broken!r} raised (logged once)"
    ]


def test_not_callable_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        genai_cost.on_call(42)  # type: ignore[arg-type]
    assert registry.listeners == () and "not callable" in caplog.text
