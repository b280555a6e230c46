"""USD cost of a call: prices resolved once per (provider, model, tier), arithmetic per call.

Modules, one job each:

- types: Price, Rates, PriceEntry and the cost sources a span names.
- bundled: the genai-prices adapter (a model's bundled price as per-token rates, tiers, windows).
- overrides: the price override file applied (its prices, aliases, discounts, date boundaries).
- refresh: the opt-in background refresh of the genai-prices data.
- book: PriceBook, the cache of resolved entries and the order of price sources.
- calls: pricing one finished call from its Outcome (tiers, parts, extra usage at other models).
"""

from __future__ import annotations

from genai_cost.pricing.book import PriceBook
from genai_cost.pricing.bundled import bundled_candidates, tier_context
from genai_cost.pricing.calls import price_outcome, priced_tier
from genai_cost.pricing.types import (
    SOURCE_BUNDLED,
    SOURCE_MIXED,
    SOURCE_OVERRIDE,
    SOURCE_PROVIDER,
    SOURCE_REFRESHED,
    Price,
    PriceEntry,
    Rates,
)

__all__ = [
    "SOURCE_BUNDLED",
    "SOURCE_MIXED",
    "SOURCE_OVERRIDE",
    "SOURCE_PROVIDER",
    "SOURCE_REFRESHED",
    "Price",
    "PriceBook",
    "PriceEntry",
    "Rates",
    "bundled_candidates",
    "price_outcome",
    "priced_tier",
    "tier_context",
]
