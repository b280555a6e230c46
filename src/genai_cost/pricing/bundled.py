"""The genai-prices adapter: a model's bundled price at a moment, turned into a PriceEntry.

A genai-prices calculation takes 50-110 us. Within one price band (long-context tiers are cliffs on
the total input) its result is linear in the token counts, so on first use of an entry we ask
genai-prices for the cost of a few probe usages and keep the per-token rate of each count. Every
later call is a dot product: genai-prices' semantics (cache subsets, 5m/1h writes, tiers,
service-tier variants, dated prices) at the cost of a few multiplications.

An entry says for which instants it holds: one UTC day (dated prices change at midnight), or less
where a daily price window (off-peak hours) begins or ends. genai-prices is imported on first use,
never at instrumentation time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from genai_cost import gcpause
from genai_cost.pricing.types import SOURCE_BUNDLED, SOURCE_OVERRIDE, SOURCE_REFRESHED, PriceEntry, Rates

# Tier strings PriceBook.price understands (anything else is looked up as an OpenAI-style
# `service_tier`): "batch" -> genai-prices `processing=batch`; "flex", "priority", "fast", "scale"
# -> `service_tier`; "fast" also selects Anthropic's `speed=fast`.
TIER_BATCH = "batch"
# Documented batch discounts, used when the bundled data has no batch price in force at the call's
# time. Anthropic: "The Batch API ... 50% discount on both input and output"; prompt-caching
# multipliers stack on top (docs.anthropic.com/en/docs/about-claude/pricing, batch processing).
BATCH_MULTIPLIERS: dict[str, float] = {"anthropic": 0.5}


_get_snapshot: Callable[[], Any] | None = None  # genai-prices' own, once its data is loaded
_load_lock = threading.Lock()


def price_data() -> Any:
    """genai-prices' data in use (bundled, or refreshed when opted in), loaded on first use."""
    if _get_snapshot is None:
        _load()
    return _get_snapshot()  # type: ignore[misc]


def _load() -> None:
    global _get_snapshot
    with _load_lock:  # the first call and the warm-up thread load it once between them
        if _get_snapshot is not None:
            return
        with gcpause.paused():  # ~17,000 objects, all kept: no collection can free any
            from genai_prices.data_snapshot import get_snapshot

            get_snapshot()
        _get_snapshot = get_snapshot


_NAME_PARTS = re.compile(r"[-/:_@\s]+")


def bundled_candidates(model: str | None, request_model: str | None) -> list[str]:
    """Model names to look up in the bundled prices, response model first.

    The request model stands in for the response model only when it names the same model: the
    response names none, or every part of the requested name is in the response's name (a dated
    snapshot such as gpt-4o-mini-2024-07-18 or claude-4.6-sonnet-20260217). A router that served
    another model (OpenRouter: `google/gemini-2.0-flash-exp:free` asked, `x-ai/grok-4` served) must
    not be priced as the requested model, least of all at its $0 free tier.
    """
    if not model:
        return [request_model] if request_model else []
    if not request_model or request_model == model:
        return [model]
    asked = set(_NAME_PARTS.split(request_model.lower())) - {""}
    served = set(_NAME_PARTS.split(model.lower()))
    return [model, request_model] if asked <= served else [model]


def tier_context(tier: str | None) -> dict[str, str] | None:
    """The genai-prices price context of a tier string."""
    if not tier:
        return None
    if tier == TIER_BATCH:
        return {"processing": TIER_BATCH}
    context = {"service_tier": tier}
    if tier == "fast":
        context["speed"] = "fast"
    return context


def bundled_entry(prices_id: str, model_ref: str, tier: str | None, moment: datetime) -> PriceEntry:
    """The genai-prices entry of a model at a moment. Raises LookupError when there is none."""
    snapshot = price_data()
    provider, model = snapshot.find_provider_model(model_ref, None, prices_id, None)
    context = tier_context(tier)
    model_price = model.get_prices(moment, context)
    thresholds = sorted({t.start for value in vars(model_price).values() if _is_tiered(value) for t in value.tiers})
    name, multiplier, notes = _tier_fallback(f"{provider.id}/{model.id}", provider.id, model, tier, moment)
    valid_from, valid_until = _window(model, moment)

    def calc(usage: Any) -> Decimal:
        priced = model.calc_price(usage, provider, genai_request_timestamp=moment, price_context=context)
        return priced.total_price

    return PriceEntry(
        name=name,
        source=SOURCE_REFRESHED if snapshot.from_auto_update else SOURCE_BUNDLED,
        thresholds=tuple(thresholds),
        bands=[None] * (len(thresholds) + 1),
        valid_from=valid_from,
        valid_until=valid_until,
        calc=calc,
        multiplier=multiplier,
        since=_since(model, moment),
        notes=notes,
    )


def _tier_fallback(
    name: str, provider_id: str, model: Any, tier: str | None, moment: datetime
) -> tuple[str, float, tuple[str, ...]]:
    """(name, multiplier, notes) when the data has no price for the tier at this moment.

    The standard rates then apply (genai-prices' own fallback), scaled by a documented batch
    discount where the provider publishes one; the notes say which, for `prices show`.
    """
    context = tier_context(tier)
    if not context or _variant_in_force(model, context, moment):
        return name, 1.0, ()
    documented = BATCH_MULTIPLIERS.get(provider_id) if tier == TIER_BATCH else None
    if documented is None:
        return name, 1.0, (f"no {tier} price in the data for this date: standard rates",)
    note = f"no batch price in the data for this date: standard x{documented:g}, as the provider documents"
    return f"{name} x{documented:g} (batch)", documented, (note,)


def fixed_entry(name: str, prices: dict[str, Decimal] | Any) -> PriceEntry:
    """An entry with the override file's own per-million prices."""
    from genai_prices.types import ModelPrice

    model_price = ModelPrice(**prices)

    def calc(usage: Any) -> Decimal:
        return model_price.calc_price(usage)["total_price"]

    return PriceEntry(name=name, source=SOURCE_OVERRIDE, calc=calc)


def _variant_in_force(model: Any, context: dict[str, str], moment: datetime) -> bool:
    for variant in model.price_variants or ():
        if variant.constraint is not None and not variant.constraint.active(moment):
            continue
        if variant.when and all(context.get(k) == v for k, v in variant.when.items()) and vars(variant.prices):
            return True
    return False


def _is_tiered(value: object) -> bool:
    from genai_prices.types import TieredPrices

    return isinstance(value, TieredPrices)


_PROBE_SIZE = 1_000_000


def probe(entry: PriceEntry, band: int) -> Rates:
    """Per-unit rates of one band, read off the price of a few probe usages."""
    from genai_prices import Usage as ProbeUsage

    assert entry.calc is not None
    n = entry.thresholds[band - 1] + 1 if band else min((_PROBE_SIZE, *entry.thresholds))
    n = max(n, 1)

    def total(**counts: int) -> Decimal:
        return entry.calc(ProbeUsage(input_tokens=n, **counts))  # type: ignore[misc]

    base = total()
    with_output = total(output_tokens=n)
    with_write = total(cache_write_tokens=n)
    m = entry.multiplier

    def per_unit(value: Decimal, reference: Decimal = base, units: int = n) -> float:
        return float((value - reference) / units) * m

    return Rates(
        input=float(base / n) * m,
        cache_read=per_unit(total(cache_read_tokens=n)),
        cache_write=per_unit(with_write),
        cache_write_1h=per_unit(total(cache_write_tokens=n, cache_write_1h_tokens=n), with_write),
        input_audio=per_unit(total(input_audio_tokens=n)),
        output=per_unit(with_output),
        reasoning=per_unit(total(output_tokens=n, output_reasoning_tokens=n), with_output),
        output_audio=per_unit(total(output_tokens=n, output_audio_tokens=n), with_output),
        web_search=per_unit(total(web_searches=1000), units=1000),
        cache_audio_read=_cache_audio_read_rate(total, n),
    )


def _cache_audio_read_rate(total: Any, n: int) -> float:
    """A cached audio token's price above a cached text token's (genai-prices counts cached audio
    inside input audio); 0 where the model has no separate price or genai-prices cannot say."""
    try:
        with_audio = total(cache_read_tokens=n, input_audio_tokens=n, cache_audio_read_tokens=n)
        return float((with_audio - total(cache_read_tokens=n)) / n)
    except Exception:  # an old genai-prices without the unit: price cached audio as cached text
        return 0.0


def utc_day(moment: datetime) -> tuple[float, float]:
    """The UTC day of `moment` as [start, end) epoch seconds: dated prices change at midnight."""
    start = datetime.combine(moment.date(), time_of_day(0), tzinfo=UTC).timestamp()
    return start, start + 86400.0


def _window(model: Any, moment: datetime) -> tuple[float, float]:
    """The instants around `moment` with the same price: its UTC day (dated prices change at
    midnight), narrowed by the edges of daily price windows (e.g. off-peak hours)."""
    from genai_prices.types import TimeOfDateConstraint

    now = moment.timestamp()
    start, end = utc_day(moment)
    constraints = [getattr(p, "constraint", None) for p in model.prices] if isinstance(model.prices, list) else []
    constraints += [v.constraint for v in model.price_variants or ()]
    for constraint in constraints:
        if isinstance(constraint, TimeOfDateConstraint):
            for edge in (constraint.start_time, constraint.end_time):
                at = datetime.combine(moment.date(), edge.replace(tzinfo=edge.tzinfo or UTC)).timestamp()
                for instant in (at - 86400, at, at + 86400):
                    if instant <= now:
                        start = max(start, instant)
                    else:
                        end = min(end, instant)
    return start, end


def _since(model: Any, moment: datetime) -> str | None:
    """The start date of the dated price in force, if the model's price has changed over time."""
    from genai_prices.types import StartDateConstraint

    if not isinstance(model.prices, list):
        return None
    for conditional in reversed(model.prices):
        constraint = conditional.constraint
        if constraint is None or constraint.active(moment):
            return constraint.start_date.isoformat() if isinstance(constraint, StartDateConstraint) else None
    return None
