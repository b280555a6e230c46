"""`track()` blocks: nesting, and which blocks a call belongs to in threads and tasks."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import genai_cost
from genai_cost.records import CallRecord
from genai_cost.tracking import ACTIVE


def record(cost: float | None, tokens: int = 10, unpriced: str | None = None, error: str | None = None) -> CallRecord:
    return CallRecord("openai", "chat", "m", "m", tokens, 1, 0, 0, 0, cost, "bundled", unpriced, 0.1, error)


def test_blocks_nest_and_each_sums_what_it_was_handed() -> None:
    with genai_cost.track() as outer:
        assert ACTIVE.get() == (outer,)
        with genai_cost.track() as inner:
            assert ACTIVE.get() == (outer, inner)
        assert ACTIVE.get() == (outer,)
    assert ACTIVE.get() == ()
    for usage, records in ((outer, [record(0.5), record(None, unpriced="unknown_model")]), (inner, [record(0.25)])):
        for r in records:
            usage.started()
            usage.add(r)
    assert (outer.cost_usd, outer.calls, outer.unpriced_calls, outer.input_tokens) == (0.5, 2, 1, 20)
    assert (inner.cost_usd, inner.calls, inner.in_flight) == (0.25, 1, 0)
    assert outer.tokens == {"input": 20, "output": 2, "cache_read": 0, "cache_write": 0, "reasoning": 0}


def test_threads_see_their_own_blocks_unless_given_the_context() -> None:
    seen: dict[str, tuple] = {}
    with genai_cost.track() as usage:
        plain = threading.Thread(target=lambda: seen.setdefault("plain", ACTIVE.get()))
        context = contextvars.copy_context()
        copied = threading.Thread(target=lambda: context.run(lambda: seen.setdefault("copied", ACTIVE.get())))
        for thread in (plain, copied):
            thread.start()
            thread.join()
    assert seen == {"plain": (), "copied": (usage,)}


async def test_tasks_inherit_the_block_they_were_created_in() -> None:
    async def inside() -> tuple:
        async with genai_cost.track() as own:
            return ACTIVE.get(), own

    async with genai_cost.track() as outer:
        (a, own_a), (b, own_b) = await asyncio.gather(inside(), inside())
    assert a == (outer, own_a) and b == (outer, own_b) and own_a is not own_b


def test_concurrent_adds_are_exact() -> None:
    with genai_cost.track() as usage:
        pass

    def add() -> None:
        for _ in range(10_000):
            usage.started()
            usage.add(record(0.5))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (usage.calls, usage.cost_usd, usage.in_flight) == (40_000, 20_000.0, 0)
