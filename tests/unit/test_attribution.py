"""Attribution: configuration, the `genai_cost.attributes` API, baggage merging, the label guard."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from opentelemetry import baggage
from opentelemetry import context as otel_context

import genai_cost
from genai_cost import config, names
from genai_cost.attribution import LabelGuard, current, key_problem, label_problem, prometheus_label

KEYS = ("tenant.id", "user.id", "feature")


# --- configuration ----------------------------------------------------------------------------------
def test_defaults_attribute_nothing_and_capture_nothing() -> None:
    cfg = config.load({})
    assert cfg.baggage_keys == () and cfg.metric_labels == ()
    assert cfg.label_limit == 100
    assert cfg.capture_content is False and cfg.capture_max_length == 2000


def test_keys_labels_and_limit_parse() -> None:
    cfg = config.load(
        {
            "GENAI_COST_BAGGAGE_KEYS": " tenant.id, user.id ,feature,,tenant.id",
            "GENAI_COST_METRIC_LABELS": "tenant.id,feature,team-name",
            "GENAI_COST_LABEL_LIMIT": "25",
            "GENAI_COST_CAPTURE_MAX_LENGTH": "500",
        }
    )
    assert cfg.baggage_keys == ("tenant.id", "user.id", "feature")
    assert cfg.metric_labels == ("tenant.id", "feature", "team-name")
    assert cfg.label_limit == 25
    assert cfg.capture_max_length == 500


def test_bad_keys_and_labels_warn_once_each_and_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "GENAI_COST_BAGGAGE_KEYS": "tenant.id,gen_ai.usage.cost,has space,ok",
        # a reserved label, two keys with the same Prometheus label, a key Prometheus would mangle
        "GENAI_COST_METRIC_LABELS": "tenant.id,tenant_id,job,otel.scope,a..b,feature",
        "GENAI_COST_LABEL_LIMIT": "0",
    }
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        cfg = config.load(env)
    assert cfg.baggage_keys == ("tenant.id", "ok")
    assert cfg.metric_labels == ("tenant.id", "feature")
    assert cfg.label_limit == 100
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 7, messages
    for variable, value in [
        ("GENAI_COST_BAGGAGE_KEYS", "gen_ai.usage.cost"),
        ("GENAI_COST_BAGGAGE_KEYS", "has space"),
        ("GENAI_COST_METRIC_LABELS", "tenant_id"),
        ("GENAI_COST_METRIC_LABELS", "job"),
        ("GENAI_COST_METRIC_LABELS", "otel.scope"),
        ("GENAI_COST_METRIC_LABELS", "a..b"),
        ("GENAI_COST_LABEL_LIMIT", "0"),
    ]:
        assert any(variable in m and repr(value) in m for m in messages), (variable, value, messages)


@pytest.mark.parametrize(
    ("raw", "captures", "warns"),
    [
        ("", False, False),
        ("NO_CONTENT", False, False),
        ("SPAN_ONLY", True, False),
        ("span_and_event", True, False),
        ("EVENT_ONLY", False, False),  # genai-cost writes no events
        ("true", True, False),  # the legacy boolean of earlier instrumentations
        ("false", False, False),
        ("yes please", False, True),
    ],
)
def test_content_capture_opt_in(raw: str, captures: bool, warns: bool, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        cfg = config.load({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": raw})
    assert cfg.capture_content is captures
    assert bool(caplog.records) is warns


@pytest.mark.parametrize(
    ("key", "label"),
    [("tenant.id", "tenant_id"), ("user-id", "user_id"), ("feature", "feature"), ("app.team-name", "app_team_name")],
)
def test_prometheus_label_mapping(key: str, label: str) -> None:
    assert label_problem(key) is None
    assert prometheus_label(key) == label


@pytest.mark.parametrize("key", ["1tenant", "_tenant", "tenant.", "a__b", "gen_ai_x", "le", "tenant id"])
def test_keys_that_cannot_be_labels(key: str) -> None:
    assert label_problem(key) is not None


def test_key_problems() -> None:
    assert key_problem("tenant.id") is None
    assert key_problem("x" * 129) is not None
    assert key_problem("genai_cost.price.entry") is not None
    # The semconv conversation id is set by the app as attribution; its namespace stays reserved.
    assert key_problem("gen_ai.conversation.id") is None
    assert key_problem("gen_ai.conversation.title") is not None
    assert key_problem("gen_ai.usage.cost") is not None
    assert key_problem("a=b") is not None


# --- the API --------------------------------------------------------------------------------------
def test_context_manager_sets_and_restores() -> None:
    assert current(()) is None
    with genai_cost.attributes(tenant="acme", feature="search") as scope:
        assert isinstance(scope, genai_cost.attributes)
        assert current(()) == {"tenant": "acme", "feature": "search"}
    assert current(()) is None


def test_nesting_overrides_key_by_key_and_none_hides() -> None:
    with genai_cost.attributes({"tenant.id": "acme"}, feature="search"):
        with genai_cost.attributes(feature="summary", user=42):
            assert current(()) == {"tenant.id": "acme", "feature": "summary", "user": "42"}
            with genai_cost.attributes({"tenant.id": None}):
                assert current(()) == {"feature": "summary", "user": "42"}
        assert current(()) == {"tenant.id": "acme", "feature": "search"}


def test_one_object_entered_twice_nests() -> None:
    scope = genai_cost.attributes(tenant="acme")
    with scope:
        with scope:
            assert current(()) == {"tenant": "acme"}
        assert current(()) == {"tenant": "acme"}
    assert current(()) is None


def test_decorator_sync() -> None:
    @genai_cost.attributes(feature="report")
    def work(x: int) -> tuple[int, dict[str, str] | None]:
        return x * 2, current(())

    assert work.__name__ == "work"
    assert work(21) == (42, {"feature": "report"})
    assert current(()) is None


async def test_decorator_and_async_with() -> None:
    @genai_cost.attributes(feature="chat")
    async def answer(user: str) -> dict[str, str] | None:
        async with genai_cost.attributes(user=user):
            await asyncio.sleep(0)
            return current(())

    # Concurrent tasks each see their own values: the context is per task.
    results = await asyncio.gather(*(answer(f"u{i}") for i in range(20)))
    assert results == [{"feature": "chat", "user": f"u{i}"} for i in range(20)]
    assert asyncio.iscoroutinefunction(answer)
    assert current(()) is None


def test_decorated_function_in_many_threads() -> None:
    seen: dict[int, dict[str, str] | None] = {}
    barrier = threading.Barrier(8)

    @genai_cost.attributes(feature="batch")
    def work(i: int) -> None:
        with genai_cost.attributes(item=str(i)):
            barrier.wait(timeout=5)
            seen[i] = current(())

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {i: {"feature": "batch", "item": str(i)} for i in range(8)}


def test_bad_input_is_logged_once_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        for _ in range(3):
            with genai_cost.attributes({"gen_ai.request.model": "x", "ok": "yes", "obj": object()}):
                assert current(()) == {"ok": "yes"}
        with genai_cost.attributes(["not", "a", "mapping"]):  # type: ignore[arg-type]
            assert current(()) is None
    messages = [r.getMessage() for r in caplog.records]
    assert sum("gen_ai.request.model" in m for m in messages) == 1
    assert sum("'obj'" in m for m in messages) == 1
    assert sum("expected a mapping" in m for m in messages) == 1


# --- baggage --------------------------------------------------------------------------------------
def _with_baggage(**entries: str) -> object:
    ctx = otel_context.get_current()
    for key, value in entries.items():
        ctx = baggage.set_baggage(key, value, ctx)
    return otel_context.attach(ctx)


def test_only_allow_listed_baggage_is_read_and_the_api_wins() -> None:
    token = _with_baggage(**{"tenant.id": "acme", "user.id": "u-1", "session.token": "s3cr3t", "feature": ""})
    try:
        assert current(()) is None  # nothing allow-listed: baggage is not read at all
        assert current(KEYS) == {"tenant.id": "acme", "user.id": "u-1"}  # empty values are no values
        with genai_cost.attributes({"tenant.id": "override", "feature": "search"}):
            assert current(KEYS) == {"tenant.id": "override", "user.id": "u-1", "feature": "search"}
        with genai_cost.attributes({"user.id": None}):
            assert current(KEYS) == {"tenant.id": "acme"}
    finally:
        otel_context.detach(token)


def test_api_values_are_not_baggage() -> None:
    # Nothing set through the API travels to downstream services (the LLM provider included).
    with genai_cost.attributes({"tenant.id": "acme"}):
        assert baggage.get_all() == {}


# --- the guard ------------------------------------------------------------------------------------
def test_guard_caps_each_label_under_ten_thousand_values(caplog: pytest.LogCaptureFixture) -> None:
    guard = LabelGuard(("tenant.id", "feature"), limit=50)
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        recorded = [guard.labels({"tenant.id": f"t{i}", "feature": f"f{i % 3}"}) for i in range(10_000)]
    tenants = [labels[0] for labels in recorded]
    assert tenants[:50] == [f"t{i}" for i in range(50)]
    assert set(tenants[50:]) == {names.OTHER_VALUE}
    assert len(set(tenants)) == 51
    assert {labels[1] for labels in recorded} == {"f0", "f1", "f2"}  # the other label is untouched
    # Values admitted before the cap keep their own label afterwards.
    assert guard.labels({"tenant.id": "t7"}) == ("t7", "")
    assert guard.overflows() == [("tenant.id", 9_950)]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "'tenant_id'" in warnings[0] and "50" in warnings[0]


def test_guard_is_exact_under_threads() -> None:
    guard = LabelGuard(("tenant.id",), limit=100)
    results: list[list[str]] = [[] for _ in range(8)]

    def worker(n: int) -> None:
        results[n] = [guard.labels({"tenant.id": f"t{n}-{i}"})[0] for i in range(500)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    values = [v for r in results for v in r]
    assert len({v for v in values if v != names.OTHER_VALUE}) == 100
    assert values.count(names.OTHER_VALUE) == 8 * 500 - 100
    assert guard.overflows() == [("tenant.id", 3_900)]


def test_guard_without_labels_or_values() -> None:
    assert LabelGuard((), 10).labels({"tenant.id": "acme"}) == ()
    assert LabelGuard(("tenant.id",), 10).labels(None) == ("",)
    assert LabelGuard(("tenant.id",), 10).labels({"other": "x"}) == ("",)


def test_baggage_properties_are_not_part_of_the_value() -> None:
    from opentelemetry.baggage.propagation import W3CBaggagePropagator

    ctx = W3CBaggagePropagator().extract({"baggage": "tenant.id=acme%20corp;ttl=60,feature=search;p"})
    token = otel_context.attach(ctx)
    try:
        assert current(("tenant.id", "feature")) == {"tenant.id": "acme corp", "feature": "search"}
    finally:
        otel_context.detach(token)
