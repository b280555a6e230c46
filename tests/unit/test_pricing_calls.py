"""Pricing one finished call from its Outcome (genai_cost.pricing.calls): tiers, parts, extra usage.

Expected costs are computed by hand from the per-million prices in the bundled data (genai-prices
0.2.3): gpt-4o-mini $0.15 in / $0.60 out; gpt-5 $1.25 / $10 standard, $0.625 / $5 flex;
claude-haiku-4-5 $1 / $5 standard, $0.50 / $2.50 batch; claude-sonnet-4-5 $3 / $15;
claude-opus-4-8 $5 / $25; gemini-2.5-pro $1.25 / $10 up to 200k input tokens, $2.50 / $15 above.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from genai_cost import names
from genai_cost.outcome import Outcome
from genai_cost.pricing import PriceBook, price_outcome, priced_tier
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage

M = 1_000_000
AT = datetime(2026, 11, 1, 12, tzinfo=UTC).timestamp()  # a fixed instant: the bundled prices in force then
OPENAI, ANTHROPIC, GEMINI = PROVIDERS["openai"], PROVIDERS["anthropic"], PROVIDERS["gcp.gemini"]


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def test_parts_are_priced_one_by_one_each_in_its_own_band() -> None:
    parts = [Usage(150_000, 1000), Usage(150_000, 1000)]
    outcome = Outcome(usage=Usage(300_000, 2000), response_model="gemini-2.5-pro", parts=parts)
    usage, price = price_outcome(PriceBook(), GEMINI, outcome, "gemini-2.5-pro", AT)
    assert usage == Usage(300_000, 2000)  # the call's usage is the sum the provider module reported
    assert close(price.cost, 2 * (150_000 * 1.25 + 1000 * 10) / M)  # both below the 200k cliff
    summed = PriceBook().price(GEMINI, "gemini-2.5-pro", Usage(300_000, 2000), at=AT)
    assert close(summed.cost, (300_000 * 2.50 + 2000 * 15) / M)  # what pricing the sum would wrongly say


def test_extra_usage_is_added_and_priced_at_its_own_model() -> None:
    outcome = Outcome(
        usage=Usage(1000, 10), response_model="claude-sonnet-4-5", extra_usage=[("claude-opus-4-8", Usage(2000, 20))]
    )
    usage, price = price_outcome(PriceBook(), ANTHROPIC, outcome, "claude-sonnet-4-5", AT)
    assert usage == Usage(3000, 30)
    assert close(price.cost, (1000 * 3 + 10 * 15) / M + (2000 * 5 + 20 * 25) / M)
    assert price.source == "bundled" and price.entry == "anthropic/claude-sonnet-4-5"


def test_extra_usage_of_another_model_never_falls_back_to_the_request_model() -> None:
    # The response names a snapshot without a price: the main usage and an extra part run by the
    # same model (None) fall back to the request model; a part naming its model does not.
    main, extra = Usage(1000, 100), Usage(500, 50)
    snapshot = "gpt-4o-mini-custom-snapshot-x"
    same_model = Outcome(usage=main, response_model=snapshot, extra_usage=[(None, extra)])
    usage, price = price_outcome(PriceBook(), OPENAI, same_model, "gpt-4o-mini", AT)
    assert usage == Usage(1500, 150)
    assert close(price.cost, (1500 * 0.15 + 150 * 0.60) / M)
    named = Outcome(usage=main, response_model=snapshot, extra_usage=[(snapshot, extra)])
    _, price = price_outcome(PriceBook(), OPENAI, named, "gpt-4o-mini", AT)
    assert price.cost is None and price.unpriced_reason == names.UNPRICED_UNKNOWN_MODEL


def test_one_unpriced_part_makes_the_call_unpriced() -> None:
    unknown_extra = Outcome(
        usage=Usage(1000, 10), response_model="claude-sonnet-4-5", extra_usage=[("acme-unknown", Usage(5, 5))]
    )
    usage, price = price_outcome(PriceBook(), ANTHROPIC, unknown_extra, "claude-sonnet-4-5", AT)
    assert usage == Usage(1005, 15)  # the tokens still count
    assert price.cost is None and price.unpriced_reason == names.UNPRICED_UNKNOWN_MODEL
    bad_part = Usage(10, 10, cache_read_tokens=50)  # cache reads cannot exceed input
    parts = Outcome(
        usage=Usage(110, 20, cache_read_tokens=50), response_model="gpt-4o-mini", parts=[Usage(100, 10), bad_part]
    )
    _, price = price_outcome(PriceBook(), OPENAI, parts, "gpt-4o-mini", AT)
    assert price.cost is None and price.unpriced_reason == names.UNPRICED_INVALID_USAGE


@pytest.mark.parametrize("tier", [None, "", "default", "auto", "standard", "on_demand"])
def test_standard_tiers_are_priced_as_no_tier(tier: str | None) -> None:
    assert priced_tier(tier) is None
    outcome = Outcome(usage=Usage(M, M), response_model="gpt-5", service_tier=tier)
    _, price = price_outcome(PriceBook(), OPENAI, outcome, "gpt-5", AT)
    assert close(price.cost, 1.25 + 10)


def test_a_reported_tier_is_priced_at_that_tier() -> None:
    assert priced_tier("flex") == "flex"
    outcome = Outcome(usage=Usage(M, M), response_model="gpt-5", service_tier="flex")
    _, price = price_outcome(PriceBook(), OPENAI, outcome, "gpt-5", AT)
    assert close(price.cost, 0.625 + 5)


def test_batch_tier_applies_to_every_part_of_the_call() -> None:
    outcome = Outcome(
        usage=Usage(1000, 100),
        response_model="claude-haiku-4-5",
        service_tier="batch",
        extra_usage=[(None, Usage(2000, 200))],
    )
    usage, price = price_outcome(PriceBook(), ANTHROPIC, outcome, "claude-haiku-4-5", AT)
    assert usage == Usage(3000, 300)
    assert close(price.cost, (3000 * 0.50 + 300 * 2.50) / M)


def test_no_usage_is_unpriced_as_such() -> None:
    usage, price = price_outcome(PriceBook(), OPENAI, Outcome(usage=None), "gpt-4o-mini", AT)
    assert usage == Usage() and price.cost is None and price.unpriced_reason == names.UNPRICED_NO_USAGE
