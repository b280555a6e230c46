"""`genai_cost.track()`: the cost and tokens of every LLM call made inside a block, handed to the app.

    with genai_cost.track() as usage:
        answer = client.chat.completions.create(...)
    response.headers["x-llm-cost-usd"] = f"{usage.cost_usd:.6f}"

The active blocks live in a ContextVar, so they follow the app's context: nested blocks each count
the calls inside them, threads and asyncio tasks each see their own blocks, and a task created
inside a block (or a thread started with a copy of the context: `asyncio.to_thread`,
`contextvars.copy_context().run`) counts in it. A call belongs to the blocks active when it STARTS:
a stream consumed after its block has ended still adds to that block's usage when it ends, so read
the figures once the streams are consumed (`in_flight` says how many calls have not ended yet).
"""

from __future__ import annotations

import threading
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genai_cost.records import CallRecord

ACTIVE: ContextVar[tuple[TrackedUsage, ...]] = ContextVar("genai_cost.track", default=())


class TrackedUsage:
    """What the calls of a `track()` block used and cost, equal to the sums of their spans.

    `cost_usd` sums the calls' gen_ai.usage.cost (unpriced calls add nothing: `unpriced_calls` counts
    them, as calls whose span has genai_cost.unpriced.reason); tokens sum gen_ai.usage.*; `calls`
    counts every call ended, failed and blocked ones included; `in_flight` the calls started and not
    yet ended (a stream still being read). Safe to read at any time, from any thread.
    """

    __slots__ = (
        "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
        "reasoning_tokens", "calls", "unpriced_calls", "failed_calls", "in_flight", "_lock",
    )  # fmt: skip

    def __init__(self) -> None:
        self.cost_usd = 0.0
        self.input_tokens = self.output_tokens = self.reasoning_tokens = 0
        self.cache_read_tokens = self.cache_write_tokens = 0
        self.calls = self.unpriced_calls = self.failed_calls = self.in_flight = 0
        self._lock = threading.Lock()

    @property
    def tokens(self) -> dict[str, int]:
        """Tokens by gen_ai.token.type, as the tokens counter labels them."""
        from genai_cost.records import tokens_by_type  # records load with the first one, not at start

        return tokens_by_type(self)

    def started(self) -> None:
        with self._lock:
            self.in_flight += 1

    def add(self, record: CallRecord) -> None:
        with self._lock:
            self.in_flight -= 1
            self.calls += 1
            if record.cost_usd is not None:
                self.cost_usd += record.cost_usd
            if record.unpriced_reason is not None:
                self.unpriced_calls += 1
            if record.error_type is not None:
                self.failed_calls += 1
            self.input_tokens += record.input_tokens
            self.output_tokens += record.output_tokens
            self.cache_read_tokens += record.cache_read_tokens
            self.cache_write_tokens += record.cache_write_tokens
            self.reasoning_tokens += record.reasoning_tokens

    def __repr__(self) -> str:
        return (
            f"TrackedUsage(cost_usd={self.cost_usd!r}, calls={self.calls}, unpriced_calls={self.unpriced_calls}, "
            f"failed_calls={self.failed_calls}, in_flight={self.in_flight}, tokens={self.tokens})"
        )


class track:  # noqa: N801 - used like a function: `with genai_cost.track() as usage:`
    """A block whose LLM calls are added up for the app: `with` and `async with`; blocks nest."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        self._tokens: list[Token[tuple[TrackedUsage, ...]]] = []

    def __enter__(self) -> TrackedUsage:
        usage = TrackedUsage()
        self._tokens.append(ACTIVE.set((*ACTIVE.get(), usage)))
        return usage

    def __exit__(self, *exc_info: object) -> None:
        if self._tokens:
            ACTIVE.reset(self._tokens.pop())

    async def __aenter__(self) -> TrackedUsage:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__(*exc_info)
