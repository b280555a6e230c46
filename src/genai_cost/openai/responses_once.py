"""A Response retrieved again (or streamed, then retrieved) is never priced twice."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from genai_cost.openai import extract
from genai_cost.outcome import Outcome
from genai_cost.providers import Provider


class _PricedResponses:
    """Ids of Responses already priced, so retrieving a response again never counts it twice."""

    def __init__(self, limit: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def once(self, outcome: Outcome) -> Outcome:
        if outcome.usage is None or not outcome.response_id:
            return outcome
        with self._lock:
            seen = outcome.response_id in self._ids
            self._ids[outcome.response_id] = None
            if len(self._ids) > self._limit:
                self._ids.popitem(last=False)
        if seen:
            outcome.usage, outcome.pending = None, True  # priced when it was first seen
        return outcome


_priced_responses = _PricedResponses()


def forget() -> None:
    """A fresh instrumentation prices every response again (re-instrumentation, tests)."""
    global _priced_responses
    _priced_responses = _PricedResponses()


def response_outcome(response: Any, provider: Provider) -> Outcome:
    return _priced_responses.once(extract.response_outcome(response, provider))


class ResponsesStream(extract.ResponsesStreamAccumulator):
    def outcome(self) -> Outcome:
        return _priced_responses.once(super().outcome())
