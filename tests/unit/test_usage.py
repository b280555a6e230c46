"""usage.py: adding the usage of several steps of one call."""

from __future__ import annotations

from genai_cost.outcome import Outcome
from genai_cost.usage import Usage


def test_usage_plus_adds_every_count() -> None:
    total = Usage(10, 2, 3, 4, 1, 1, web_searches=1).plus(Usage(5, 6, 1, 2, 2, 0, web_searches=2))
    assert total == Usage(15, 8, 4, 6, 3, 1, web_searches=3)
    assert total.provider_cost is None


def outcome(extra_model: str) -> Outcome:
    return Outcome(
        usage=Usage(1000, 10),
        response_model="claude-sonnet-4-5",
        extra_usage=[(extra_model, Usage(2000, 20))],
    )
