"""USD cost of a call: genai-prices resolved once per (provider, model, tier), arithmetic per call.

A genai-prices calculation takes 50-110 us. Within one price band (long-context tiers are cliffs on
the total input) its result is linear in the token counts, so on first use of a (provider, model,
tier) we ask genai-prices for the cost of a few probe usages and keep the per-token rate of each
count. Every later call is a dot product: genai-prices' semantics (cache subsets, 5m/1h writes,
tiers, service-tier variants, dated prices) at the cost of a few multiplications. Rates are kept
until the price could next change (UTC midnight, or a time-of-day window edge).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from genai_cost import names
from genai_cost.providers import Provider
from genai_cost.usage import Usage

logger = logging.getLogger("genai_cost")

# Bound on every per-model table (entries, logged-once sets), whatever model names a process sees.
_MAX_KEYS = 4096

SOURCE_BUNDLED = "bundled"
SOURCE_PROVIDER = "provider"


@dataclass(slots=True)
class Price:
    cost: float | None  # USD; None: unpriced, never a guessed 0
    savings: float = 0.0  # USD saved by cache reads against the uncached input rate
    source: str | None = None
    entry: str | None = None  # the price entry used, "provider/model"
    unpriced_reason: str | None = None


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
        )


@dataclass(slots=True)
class _Entry:
    name: str | None  # None: no price for this key
    thresholds: tuple[int, ...]  # total input tokens above which the next band applies
    bands: list[Rates | None]  # filled lazily, one per band
    valid_until: float
    model: Any = None
    provider: Any = None
    context: dict[str, str] | None = None
    timestamp: datetime | None = None
    failed: bool = False  # the price data raised for this key: unpriced as price_error until valid_until

    def rates_for(self, input_tokens: int) -> Rates:
        band = 0
        for threshold in self.thresholds:
            if input_tokens > threshold:
                band += 1
        rates = self.bands[band]
        if rates is None:
            rates = self.bands[band] = _probe(self, band)
        return rates


class PriceBook:
    """Prices calls. Thread-safe by construction: entries are replaced, never mutated in place."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str | None], _Entry] = {}
        self._warned: set[tuple[str, str]] = set()
        self._failed: set[tuple[str, str]] = set()

    def price(
        self,
        provider: Provider,
        model: str | None,
        usage: Usage,
        tier: str | None = None,
        request_model: str | None = None,
    ) -> Price:
        """Cost of one call. `model` is the response model; `request_model` the fallback. Never raises."""
        if not usage.is_consistent():
            return Price(None, unpriced_reason=names.UNPRICED_INVALID_USAGE)
        try:
            return self._price(provider, model, usage, tier, request_model)
        except Exception:  # broken price data must cost the app nothing but this call's price
            shown = (provider.prices_id or provider.name, model or request_model or "")
            if shown not in self._failed:
                if len(self._failed) > _MAX_KEYS:
                    self._failed.clear()
                self._failed.add(shown)
                logger.exception("genai-cost: pricing failed for %s/%s; its calls are counted as unpriced", *shown)
            return Price(None, unpriced_reason=names.UNPRICED_PRICE_ERROR)

    def _price(
        self, provider: Provider, model: str | None, usage: Usage, tier: str | None, request_model: str | None
    ) -> Price:
        entry = self._entry(provider, model, tier, request_model)
        if entry is None or entry.name is None:
            if usage.provider_cost is not None:
                return Price(usage.provider_cost, source=SOURCE_PROVIDER)
            if entry is not None and entry.failed:
                reason = names.UNPRICED_PRICE_ERROR
            else:
                reason = names.UNPRICED_LOCAL_MODEL if provider.local else names.UNPRICED_UNKNOWN_MODEL
            return Price(None, unpriced_reason=reason)
        rates = entry.rates_for(usage.input_tokens)
        savings = usage.cache_read_tokens * -rates.cache_read if rates.cache_read < 0 else 0.0
        if usage.provider_cost is not None:
            return Price(usage.provider_cost, savings, SOURCE_PROVIDER, entry.name)
        return Price(rates.cost(usage), savings, SOURCE_BUNDLED, entry.name)

    def _entry(
        self, provider: Provider, model: str | None, tier: str | None, request_model: str | None
    ) -> _Entry | None:
        if provider.prices_id is None or not (model or request_model):
            return None
        key = (provider.prices_id, model or request_model or "", tier)
        entry = self._entries.get(key)
        if entry is None or time.time() >= entry.valid_until:
            entry = self._resolve(provider.prices_id, model, request_model, tier)
            if len(self._entries) > _MAX_KEYS:  # bounded, whatever model names a process sees
                self._entries.clear()
            self._entries[key] = entry
        return entry

    def _resolve(self, prices_id: str, model: str | None, request_model: str | None, tier: str | None) -> _Entry:
        now = datetime.now(tz=UTC)
        for candidate in dict.fromkeys(m for m in (model, request_model) if m):
            try:
                return _resolve_entry(prices_id, candidate, tier, now)
            except LookupError:
                continue
            except Exception:  # a broken price table must not break the app
                logger.exception("genai-cost: price lookup failed for %s/%s", prices_id, candidate)
                return _Entry(None, (), [None], _next_midnight(now), failed=True)
        shown = model or request_model or ""
        if (prices_id, shown) not in self._warned:
            if len(self._warned) > _MAX_KEYS:
                self._warned.clear()
            self._warned.add((prices_id, shown))
            logger.warning(
                "genai-cost: no price for model %r of provider %r; its calls are counted as unpriced",
                shown,
                prices_id,
            )
        return _Entry(None, (), [None], _next_midnight(now))


def _resolve_entry(prices_id: str, model_ref: str, tier: str | None, now: datetime) -> _Entry:
    from genai_prices.data_snapshot import get_snapshot

    provider, model = get_snapshot().find_provider_model(model_ref, None, prices_id, None)
    context = {"service_tier": tier} if tier else None
    model_price = model.get_prices(now, context)
    thresholds = sorted({t.start for value in vars(model_price).values() if _is_tiered(value) for t in value.tiers})
    return _Entry(
        name=f"{provider.id}/{model.id}",
        thresholds=tuple(thresholds),
        bands=[None] * (len(thresholds) + 1),
        valid_until=_next_change(model, now),
        model=model,
        provider=provider,
        context=context,
        timestamp=now,
    )


def _is_tiered(value: object) -> bool:
    from genai_prices.types import TieredPrices

    return isinstance(value, TieredPrices)


_PROBE_SIZE = 1_000_000


def _probe(entry: _Entry, band: int) -> Rates:
    """Per-unit rates of one band, read off genai-prices' price of a few probe usages."""
    from genai_prices import Usage as ProbeUsage

    n = entry.thresholds[band - 1] + 1 if band else min((_PROBE_SIZE, *entry.thresholds))
    n = max(n, 1)

    def total(**counts: int) -> Decimal:
        usage = ProbeUsage(input_tokens=n, **counts)
        calc = entry.model.calc_price(
            usage, entry.provider, genai_request_timestamp=entry.timestamp, price_context=entry.context
        )
        return calc.total_price

    base = total()
    with_output = total(output_tokens=n)
    with_write = total(cache_write_tokens=n)

    def per_unit(value: Decimal, reference: Decimal = base, units: int = n) -> float:
        return float((value - reference) / units)

    return Rates(
        input=float(base / n),
        cache_read=per_unit(total(cache_read_tokens=n)),
        cache_write=per_unit(with_write),
        cache_write_1h=per_unit(total(cache_write_tokens=n, cache_write_1h_tokens=n), with_write),
        input_audio=per_unit(total(input_audio_tokens=n)),
        output=per_unit(with_output),
        reasoning=per_unit(total(output_tokens=n, output_reasoning_tokens=n), with_output),
        output_audio=per_unit(total(output_tokens=n, output_audio_tokens=n), with_output),
        web_search=per_unit(total(web_searches=1000), units=1000),
    )


def _next_midnight(now: datetime) -> float:
    return datetime.combine(now.date() + timedelta(days=1), time_of_day(0), tzinfo=UTC).timestamp()


def _next_change(model: Any, now: datetime) -> float:
    """When this model's price may next differ: UTC midnight (dated prices) or a daily window edge."""
    from genai_prices.types import TimeOfDateConstraint

    changes = [_next_midnight(now)]
    constraints = [getattr(p, "constraint", None) for p in model.prices] if isinstance(model.prices, list) else []
    constraints += [v.constraint for v in model.price_variants or ()]
    for constraint in constraints:
        if isinstance(constraint, TimeOfDateConstraint):
            for edge in (constraint.start_time, constraint.end_time):
                at = datetime.combine(now.date(), edge.replace(tzinfo=edge.tzinfo or UTC))
                if at <= now:
                    at += timedelta(days=1)
                changes.append(at.timestamp())
    return min(changes)
