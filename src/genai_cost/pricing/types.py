"""The values pricing passes around: a call's price, per-unit rates, a resolved price entry.

A PriceEntry is resolved once per (provider, model, request model, tier) and holds per-token rates
band by band (long-context tiers are cliffs on the total input). Every later call is `Rates.cost`,
a dot product: what keeps pricing off the request path's budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from genai_cost.usage import Usage

SOURCE_BUNDLED = "bundled"
SOURCE_OVERRIDE = "override"
SOURCE_REFRESHED = "refreshed"  # genai-prices data fetched at run time (GENAI_COST_PRICES_REFRESH)
SOURCE_PROVIDER = "provider"
SOURCE_MIXED = "mixed"  # parts of one call priced from different sources


@dataclass(slots=True)
class Price:
    cost: float | None  # USD; None: unpriced, never a guessed 0
    savings: float = 0.0  # USD saved by cache reads against the uncached input rate
    source: str | None = None  # bundled | override | provider
    entry: str | None = None  # the price entry used, e.g. "openai/gpt-4o-mini" or "override:prices.yaml#name"
    unpriced_reason: str | None = None

    def plus(self, other: Price) -> Price:
        """Two parts of one call: unpriced if either is, never a partial sum."""
        if self.cost is None:
            return self
        if other.cost is None:
            return other
        source = self.source if self.source == other.source else SOURCE_MIXED
        return Price(self.cost + other.cost, self.savings + other.savings, source, self.entry)


@dataclass(slots=True)
class Rates:
    """Marginal USD per unit within one band; subsets are priced relative to their parent."""

    input: float
    cache_read: float  # on top of input: (cache read rate - input rate)
    cache_write: float  # on top of input: (5m cache write rate - input rate)
    cache_write_1h: float  # on top of cache_write: (1h rate - 5m rate)
    input_audio: float
    output: float
    reasoning: float
    output_audio: float
    web_search: float
    cache_audio_read: float = 0.0  # on top of cache_read: (audio cache read rate - cache read rate)

    def cost(self, u: Usage) -> float:
        return (
            u.input_tokens * self.input
            + u.cache_read_tokens * self.cache_read
            + u.cache_write_tokens * self.cache_write
            + u.cache_write_1h_tokens * self.cache_write_1h
            + u.input_audio_tokens * self.input_audio
            + u.output_tokens * self.output
            + u.reasoning_tokens * self.reasoning
            + u.output_audio_tokens * self.output_audio
            + u.web_searches * self.web_search
            + u.cache_audio_read_tokens * self.cache_audio_read
        )

    def savings(self, u: Usage) -> float:
        """USD the cache reads saved: their uncached price minus their price (audio priced as audio)."""
        saved = u.cache_read_tokens * -self.cache_read + u.cache_audio_read_tokens * (
            self.input_audio - self.cache_audio_read
        )
        return saved if saved > 0 else 0.0


@dataclass(slots=True)
class PriceEntry:
    """One resolved price: where it came from and its per-unit rates, band by band."""

    name: str | None  # None: no price for this key
    source: str = SOURCE_BUNDLED
    thresholds: tuple[int, ...] = ()  # total input tokens above which the next band applies
    bands: list[Rates | None] = field(default_factory=lambda: [None])  # filled lazily, one per band
    valid_from: float = -math.inf  # epoch seconds: the instants of call start this entry holds for
    valid_until: float = math.inf
    calc: Callable[[Any], Decimal] | None = None  # USD of one genai-prices Usage at these prices
    multiplier: float = 1.0  # discount or documented tier multiplier, applied to every rate
    since: str | None = None  # when the underlying price took effect, if dated
    notes: tuple[str, ...] = ()  # what a reader should know (tier not in the data, discount, ...)
    failed: bool = False  # the price data raised for this key: unpriced as price_error until valid_until

    def rates_for(self, input_tokens: int) -> Rates:
        """The rates of the band `input_tokens` falls in, probed from `calc` on first use."""
        if not self.thresholds and self.bands[0] is not None:  # most models: one band
            return self.bands[0]
        band = 0
        for threshold in self.thresholds:
            if input_tokens > threshold:
                band += 1
        rates = self.bands[band]
        if rates is None:
            # Imported here, once per band: probing needs genai-prices, the values above do not.
            from genai_cost.pricing.bundled import probe

            rates = self.bands[band] = probe(self, band)
        return rates
