"""The budget guard in-process, with the real SDKs over real HTTP to the mock provider: a `block`
budget refuses calls of every SDK, streams included, before any request is sent; `warn` lets them go."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import genai_cost
from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env
from tests.helpers import free_port

USER = [{"role": "user", "content": "What is 10 + 5?"}]
# gpt-4o-mini at $0.15 / $0.60 per million: 100,000 input tokens cost $0.015.
CHAT_USAGE = {"mock": {"usage": {"prompt_tokens": 100_000, "completion_tokens": 0, "total_tokens": 100_000}}}
CALL_COST = 0.015


def budgets(tmp_path: Path, text: str) -> str:
    path = tmp_path / "budgets.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def requests(mocks: dict[str, MockProvider]) -> int:
    return sum(len(mock.requests) for mock in mocks.values())


def exceeded(pipeline: Pipeline, **labels: str) -> float:
    points = pipeline.metrics().get("genai_cost.budget.exceeded", [])
    return sum(value for attrs, value in points if all(attrs.get(k) == v for k, v in labels.items()))


BLOCKED_CALLS = {
    "openai chat": lambda c: c.openai.chat.completions.create(model="gpt-4o-mini", messages=USER),
    "openai stream": lambda c: c.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True),
    "openai responses": lambda c: c.openai.responses.create(model="gpt-4.1", input="hi"),
    "anthropic": lambda c: c.anthropic.messages.create(model="claude-sonnet-4-5", max_tokens=10, messages=USER),
    "anthropic stream": lambda c: c.anthropic.messages.stream(
        model="claude-sonnet-4-5", max_tokens=10, messages=USER
    ).__enter__(),
    "google": lambda c: c.genai.models.generate_content(model="gemini-2.5-flash", contents="hi"),
    "google stream": lambda c: list(c.genai.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")),
}


def test_block_refuses_every_sdk_and_stream_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline, sdks: Any, mocks: dict[str, MockProvider]
) -> None:
    text = "budgets:\n  - {scope: user.id, key: '*', period: monthly, limit_usd: 0.02, action: block}\n"
    set_env(monkeypatch, GENAI_COST_BUDGETS_FILE=budgets(tmp_path, text))
    with genai_cost.attributes({"user.id": "alice"}):
        sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=CHAT_USAGE)
        sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=CHAT_USAGE)
        sent = requests(mocks)
        for name, call in BLOCKED_CALLS.items():
            with pytest.raises(genai_cost.BudgetExceeded) as refusal:
                call(sdks)
            assert (refusal.value.scope, refusal.value.key, refusal.value.period) == ("user.id", "alice", "monthly"), (
                name
            )
            assert refusal.value.spend_usd == pytest.approx(2 * CALL_COST, rel=1e-9)
            assert refusal.value.limit_usd == 0.02 and not refusal.value.spend_unknown
    assert requests(mocks) == sent  # nothing was sent, so nothing was billed
    with genai_cost.attributes({"user.id": "bob"}):  # another key has its own budget
        sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    blocked = [span for span in pipeline.finished() if names.ERROR_TYPE in span.attributes]
    assert len(blocked) == len(BLOCKED_CALLS)
    for span in blocked:
        assert span.attributes[names.ERROR_TYPE] == "genai_cost.BudgetExceeded"
        assert span.attributes[names.BUDGET_KEY] == "alice" and span.attributes[names.BUDGET_ACTION] == "block"
        assert names.USAGE_INPUT_TOKENS not in span.attributes and names.UNPRICED_REASON not in span.attributes
    assert exceeded(pipeline, scope="user.id", action="block") == len(BLOCKED_CALLS)
    assert exceeded(pipeline, action="warn") == 0


async def test_block_refuses_async_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sdks: Any, mocks: dict[str, MockProvider]
) -> None:
    text = "budgets:\n  - {scope: model, key: gpt-4o-mini, period: daily, limit_usd: 0.01, action: block}\n"
    set_env(monkeypatch, GENAI_COST_BUDGETS_FILE=budgets(tmp_path, text))
    await sdks.aopenai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=CHAT_USAGE)
    sent = requests(mocks)
    with pytest.raises(genai_cost.BudgetExceeded):
        await sdks.aopenai.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)
    await sdks.aopenai.chat.completions.create(model="gpt-4.1-nano", messages=USER)  # another model
    assert requests(mocks) == sent + 1


def test_warn_lets_calls_go_with_a_span_event_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline, sdks: Any, caplog: Any
) -> None:
    text = "budgets:\n  - {scope: service, period: daily, limit_usd: 0.01, action: warn}\n"
    set_env(monkeypatch, GENAI_COST_BUDGETS_FILE=budgets(tmp_path, text))
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        for _ in range(4):
            sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=CHAT_USAGE)
    spans = pipeline.finished()
    assert [len(span.events) for span in spans] == [0, 1, 1, 1]
    event = spans[1].events[0]
    assert event.name == names.BUDGET_EVENT
    assert event.attributes[names.BUDGET_SCOPE] == "service" and event.attributes[names.BUDGET_ACTION] == "warn"
    assert event.attributes[names.BUDGET_SPEND] == pytest.approx(CALL_COST, rel=1e-9)
    # The tracer provider's resource names the service (the SDK's default: unknown_service:<executable>).
    service = pipeline.tracer_provider.resource.attributes["service.name"]
    assert [r.getMessage() for r in caplog.records if "budget" in r.getMessage()] == [
        f"genai-cost: budget service=* daily $0.01 (warn) reached for {service!r}: $0.015 spent; its calls go on (warn)"
    ]
    assert exceeded(pipeline, scope="service", action="warn") == 3


def test_a_broken_budgets_file_is_one_error_and_no_enforcement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline, sdks: Any, caplog: Any
) -> None:
    text = "budgets:\n  - scope: user.id\n    period: weekly\n    limit_usd: 0.00001\n    action: block\n"
    path = budgets(tmp_path, text)
    set_env(monkeypatch, GENAI_COST_BUDGETS_FILE=path)
    with caplog.at_level(logging.WARNING, logger="genai_cost"), genai_cost.attributes({"user.id": "alice"}):
        for _ in range(2):
            sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body=CHAT_USAGE)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert f"{path}:3: period: expected daily or monthly, got 'weekly'" in errors[0].getMessage()
    assert len(pipeline.finished()) == 2


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_prometheus_unreadable_fails_open_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline, sdks: Any, mode: str
) -> None:
    text = "budgets:\n  - {scope: global, period: monthly, limit_usd: 100, action: block}\n"
    set_env(
        monkeypatch,
        GENAI_COST_BUDGETS_FILE=budgets(tmp_path, text),
        GENAI_COST_BUDGETS_PROMETHEUS_URL=f"http://127.0.0.1:{free_port()}",
        GENAI_COST_BUDGETS_UNREADABLE=mode,
    )
    try:  # starts the guard, whose first read may already have failed
        sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    except genai_cost.BudgetExceeded:
        assert mode == "closed"
    guard = next(iter(_telemetries(pipeline))).guard
    assert guard is not None and guard.reader is not None
    guard.reader.read_once()  # what the background thread does, without waiting for it
    gauge = [value for _, value in pipeline.metrics()["genai_cost.budget.prometheus.up"]]
    assert gauge == [0]
    if mode == "open":
        sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    else:
        with pytest.raises(genai_cost.BudgetExceeded) as refusal:
            sdks.openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
        assert refusal.value.spend_unknown and "cannot be read" in str(refusal.value)
    guard.reader.stop()


def _telemetries(pipeline: Pipeline) -> list[Any]:
    from genai_cost.handler import get_telemetry

    return [get_telemetry(pipeline.tracer_provider, pipeline.meter_provider)]
