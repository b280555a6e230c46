"""Pricing one finished call from its Outcome: its tier, its parts, its usage billed at other models.

A provider module reports what a call used (an Outcome); this turns that into the call's usage and
price. The rules that are about money, not about spans, live here:

- A tier the provider reports as its standard one ("default", "auto", "standard", "on_demand") is
  no tier: the call is priced at the standard rates.
- A call that made several billed requests (`parts`, e.g. Gemini automatic function calling) is
  priced request by request, so each gets its own long-context band, then summed.
- Usage billed beside the main usage at another model (`extra_usage`, e.g. Anthropic compaction or
  advisor iterations) is priced at that model only: never at the request model as a fallback, so
  a model without a price makes the call unpriced rather than priced as something else.
- One unpriced part makes the whole call unpriced: never a partial sum.
"""

from __future__ import annotations

from genai_cost import names
from genai_cost.outcome import Outcome
from genai_cost.pricing.book import PriceBook
from genai_cost.pricing.types import Price
from genai_cost.providers import Provider
from genai_cost.usage import Usage

# Tiers providers report for their standard service: priced as no tier at all.
STANDARD_TIERS = frozenset({"default", "auto", "standard", "on_demand"})


def priced_tier(service_tier: str | None) -> str | None:
    """The tier a call is priced at: None for no tier and for the providers' names of the standard one."""
    if not service_tier or service_tier in STANDARD_TIERS:
        return None
    return service_tier


def price_outcome(
    book: PriceBook, provider: Provider, outcome: Outcome, request_model: str | None, at: float
) -> tuple[Usage, Price]:
    """The usage billed for a call (extra usage included) and its price at the prices in force at `at`.

    `at`: when the call started (epoch seconds). An outcome without usage is unpriced as no_usage;
    callers that must not count such calls check `outcome.usage` first. Never raises.
    """
    usage = outcome.usage
    if usage is None:
        return Usage(), Price(None, unpriced_reason=names.UNPRICED_NO_USAGE)
    tier = priced_tier(outcome.service_tier)
    if outcome.parts:
        price = _price_parts(book, provider, outcome, tier, request_model, at)
    else:
        price = book.price(provider, outcome.response_model, usage, tier, request_model, at)
    if outcome.extra_usage:
        usage, price = _with_extra_usage(book, provider, outcome, usage, price, tier, request_model, at)
    return usage, price


def _price_parts(
    book: PriceBook, provider: Provider, outcome: Outcome, tier: str | None, request_model: str | None, at: float
) -> Price:
    """Several requests of one call priced one by one, then added; unpriced if any part is."""
    total: Price | None = None
    for part in outcome.parts or ():
        price = book.price(provider, outcome.response_model, part, tier, request_model, at)
        total = price if total is None else total.plus(price)
    return total if total is not None else Price(None, unpriced_reason=names.UNPRICED_NO_USAGE)


def _with_extra_usage(
    book: PriceBook,
    provider: Provider,
    outcome: Outcome,
    usage: Usage,
    price: Price,
    tier: str | None,
    request_model: str | None,
    at: float,
) -> tuple[Usage, Price]:
    """Add the parts of a call billed beside its main usage, each priced at its own model's rates."""
    for model, extra in outcome.extra_usage:
        # A part run by another model is priced at that model only, never at the call's as a fallback.
        fallback = None if model else request_model
        extra_price = book.price(provider, model or outcome.response_model, extra, tier, fallback, at)
        usage, price = usage.plus(extra), price.plus(extra_price)
    return usage, price
