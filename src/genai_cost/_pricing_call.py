"""Pricing one finished call (moves into the pricing package)."""

from __future__ import annotations

from genai_cost import names
from genai_cost.outcome import Outcome
from genai_cost.pricing import Price, PriceBook
from genai_cost.providers import Provider
from genai_cost.usage import Usage

_STANDARD_TIERS = frozenset({"default", "auto", "standard", "on_demand"})


def billed_tier(service_tier: str | None) -> str | None:
    if not service_tier or service_tier in _STANDARD_TIERS:
        return None
    return service_tier


def price_outcome(
    book: PriceBook, provider: Provider, outcome: Outcome, request_model: str | None, at: float
) -> tuple[Usage, Price]:
    usage = outcome.usage
    assert usage is not None
    tier = billed_tier(outcome.service_tier)
    if outcome.parts:
        total: Price | None = None
        for part in outcome.parts:
            price = book.price(provider, outcome.response_model, part, tier, request_model, at)
            total = price if total is None else total.plus(price)
        price = total if total is not None else Price(None, unpriced_reason=names.UNPRICED_NO_USAGE)
    else:
        price = book.price(provider, outcome.response_model, usage, tier, request_model, at)
    for model, extra in outcome.extra_usage:
        fallback = None if model else request_model
        extra_price = book.price(provider, model or outcome.response_model, extra, tier, fallback, at)
        usage, price = usage.plus(extra), price.plus(extra_price)
    return usage, price
