"""USD cost of a call: prices resolved once per (provider, model, tier), arithmetic per call.

A genai-prices calculation takes 50-110 us. Within one price band (long-context tiers are cliffs on
the total input) its result is linear in the token counts, so on first use of a (provider, model,
tier) we ask genai-prices for the cost of a few probe usages and keep the per-token rate of each
count. Every later call is a dot product: genai-prices' semantics (cache subsets, 5m/1h writes,
tiers, service-tier variants, dated prices) at the cost of a few multiplications.

Prices are those in force when the call started. A resolved entry says for which instants it holds
(one UTC day, or less where a daily price window or an override's date range begins or ends); a
call outside it is resolved again.

The override file (`GENAI_COST_PRICES_FILE`, see overrides.py) is consulted first, then the bundled
genai-prices data, then a discount multiplier from the file may scale what the bundled data says.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from genai_cost import config, names
from genai_cost.overrides import ModelOverride, PriceFile, PriceFileError
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS, Provider
from genai_cost.usage import Usage

logger = logging.getLogger("genai_cost")

SOURCE_BUNDLED = "bundled"
SOURCE_OVERRIDE = "override"
SOURCE_REFRESHED = "refreshed"  # genai-prices data fetched at run time (GENAI_COST_PRICES_REFRESH)
SOURCE_PROVIDER = "provider"
SOURCE_MIXED = "mixed"  # parts of one call priced from different sources

# Tier strings PriceBook.price understands (anything else is looked up as an OpenAI-style
# `service_tier`): "batch" -> genai-prices `processing=batch`; "flex", "priority", "fast", "scale"
# -> `service_tier`; "fast" also selects Anthropic's `speed=fast`.
TIER_BATCH = "batch"
# Documented batch discounts, used when the bundled data has no batch price in force at the call's
# time. Anthropic: "The Batch API ... 50% discount on both input and output"; prompt-caching
# multipliers stack on top (docs.anthropic.com/en/docs/about-claude/pricing, batch processing).
BATCH_MULTIPLIERS: dict[str, float] = {"anthropic": 0.5}


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
        if not self.thresholds and self.bands[0] is not None:  # most models: one band
            return self.bands[0]
        band = 0
        for threshold in self.thresholds:
            if input_tokens > threshold:
                band += 1
        rates = self.bands[band]
        if rates is None:
            rates = self.bands[band] = _probe(self, band)
        return rates


# Warned once per process, whichever PriceBook meets the model first; bounded, past that it is noise.
_warned: set[tuple[str, str]] = set()
_failed: set[tuple[str, str]] = set()
_MAX_WARNED = 4096


def _first_time(seen: set[tuple[str, str]], key: tuple[str, str]) -> bool:
    if key in seen or len(seen) >= _MAX_WARNED:
        return False
    seen.add(key)
    return True


class PriceBook:
    """Prices calls. Thread-safe by construction: entries are replaced, never mutated in place."""

    def __init__(self, price_file: PriceFile | None = None) -> None:
        self.price_file = price_file
        self.file_path: str | None = price_file.path if price_file else None
        self.file_problems = 0  # problems found in the configured price file (0: in use)
        self._boundaries = price_file.boundaries() if price_file else []
        self._entries: dict[tuple[str, str | None, str | None, str | None, str | None], PriceEntry] = {}
        self._configure: Callable[[], None] | None = None
        self._configure_lock = threading.Lock()
        self._updater: Any = None  # genai-prices' background refresh, when the user opted in
        self._snapshot: Any = None  # the price data the cached entries were resolved from
        self._get_snapshot: Callable[[], Any] = lambda: None

    @classmethod
    def from_config(cls) -> PriceBook:
        """A PriceBook that loads the file named by GENAI_COST_PRICES_FILE when first needed.

        Loading waits for the first price lookup (not the request path: lookups are cached), so the
        variable is read when the app makes its first call, like every other setting.
        """
        book = cls()
        book._configure = book._configure_from_environment
        return book

    def _configure_from_environment(self) -> None:
        self._load_configured_file()
        self._start_refresh()

    def _start_refresh(self) -> None:
        """genai-prices' own background updater, only when the user opted in: never on the request path."""
        cfg = config.get()
        if cfg.prices_refresh_url is None:
            return
        try:
            from genai_prices import UpdatePrices
            from genai_prices.data_snapshot import get_snapshot

            self._snapshot, self._get_snapshot = get_snapshot(), get_snapshot
            self._updater = UpdatePrices(url=cfg.prices_refresh_url, update_interval=cfg.prices_refresh_interval)
            self._updater.start(wait=False)
            logger.info(
                "genai-cost: refreshing prices from %s every %ss", cfg.prices_refresh_url, cfg.prices_refresh_interval
            )
        except Exception:
            self._updater = None
            logger.exception("genai-cost: could not start the price refresh; using the bundled prices")

    def stop_refresh(self) -> None:
        """Stop the background price refresh (the prices it fetched stay in use)."""
        updater, self._updater = self._updater, None
        if updater is not None:
            updater.stop()

    def _follow_refresh(self) -> None:
        """Forget resolved entries once the refresh has brought newer price data."""
        snapshot = self._get_snapshot()
        if snapshot is not self._snapshot:
            self._snapshot = snapshot
            self._entries = {}

    def _load_configured_file(self) -> None:
        path = config.get().prices_file
        if not path:
            return
        from genai_cost import overrides

        self.file_path = path
        try:
            price_file = overrides.load(path, KNOWN_PROVIDERS)
        except PriceFileError as error:
            logger.error(
                "genai-cost: %s=%s is not used, calls are priced from the bundled prices: %s",
                config.ENV_PRICES_FILE,
                path,
                error,
            )
            self.file_problems = len(error.problems)
            return
        except Exception as error:  # nothing in a price file may stop the app
            logger.error("genai-cost: %s=%s could not be loaded: %r", config.ENV_PRICES_FILE, path, error)
            self.file_problems = 1
            return
        self.price_file, self._boundaries = price_file, price_file.boundaries()

    def _ensure_configured(self) -> None:
        if self._configure is not None:
            with self._configure_lock:
                if self._configure is not None:
                    self._configure()
                    self._configure = None

    def file_state(self) -> tuple[str, int] | None:
        """(path, number of problems) of the configured price file; None when there is none."""
        self._ensure_configured()
        return (self.file_path, self.file_problems) if self.file_path else None

    def price(
        self,
        provider: Provider,
        model: str | None,
        usage: Usage,
        tier: str | None = None,
        request_model: str | None = None,
        at: float | None = None,
    ) -> Price:
        """Cost of one call that started at `at` (epoch seconds; default now).

        `model` is the response model; `request_model` the fallback when the response names no model
        or a more specific name of the requested one (a dated snapshot) that has no price. Never raises.
        """
        if not usage.is_consistent():
            return Price(None, unpriced_reason=names.UNPRICED_INVALID_USAGE)
        try:
            return self._price(provider, model, usage, tier, request_model, at)
        except Exception:  # broken price data must cost the app nothing but this call's price
            if _first_time(_failed, (provider.name, model or request_model or "")):
                logger.exception(
                    "genai-cost: pricing failed for %s/%s; its calls are counted as unpriced",
                    provider.name,
                    model or request_model,
                )
            return Price(None, unpriced_reason=names.UNPRICED_PRICE_ERROR)

    def _price(
        self,
        provider: Provider,
        model: str | None,
        usage: Usage,
        tier: str | None,
        request_model: str | None,
        at: float | None,
    ) -> Price:
        if at is None:
            at = time.time()
        if self._updater is not None:
            self._follow_refresh()
        entry = self._entries.get((provider.name, provider.prices_id, model, request_model, tier))
        if entry is None or not entry.valid_from <= at < entry.valid_until:
            entry = self._refresh(provider, model, request_model, tier, at)
        if entry.name is None:
            if usage.provider_cost is not None:
                return Price(usage.provider_cost, source=SOURCE_PROVIDER)
            if entry.failed:
                reason = names.UNPRICED_PRICE_ERROR
            else:
                reason = names.UNPRICED_LOCAL_MODEL if provider.local else names.UNPRICED_UNKNOWN_MODEL
            return Price(None, unpriced_reason=reason)
        rates = entry.rates_for(usage.input_tokens)
        savings = rates.savings(usage)
        if usage.provider_cost is not None:
            return Price(usage.provider_cost, savings, SOURCE_PROVIDER, entry.name)
        return Price(rates.cost(usage), savings, entry.source, entry.name)

    def _refresh(
        self, provider: Provider, model: str | None, request_model: str | None, tier: str | None, at: float
    ) -> PriceEntry:
        entry = self.resolve(provider, model, tier, at, request_model)
        if len(self._entries) > 4096:  # bounded, whatever model names a process sees
            self._entries.clear()
        self._entries[(provider.name, provider.prices_id, model, request_model, tier)] = entry
        return entry

    def resolve(
        self,
        provider: Provider,
        model: str | None,
        tier: str | None = None,
        at: float | None = None,
        request_model: str | None = None,
    ) -> PriceEntry:
        """The price entry for a call (uncached: 50-500 us). An entry with name None means unpriced."""
        self._ensure_configured()
        at = time.time() if at is None else at
        moment = datetime.fromtimestamp(at, UTC)
        entry, failed = None, False
        try:
            entry = self._from_file(provider, (model, request_model), tier, at, moment)
            if entry is None and provider.prices_id is not None:
                entry = self._bundled(provider, model, request_model, tier, at, moment)
        except Exception:  # a broken price table must not break the app
            failed = True
            logger.exception("genai-cost: price lookup failed for %s/%s", provider.name, model or request_model)
        if entry is None:
            if not failed:
                self._warn_unpriced(provider, model or request_model or "")
            entry = PriceEntry(None, valid_from=_midnight(moment), valid_until=_next_midnight(moment), failed=failed)
        self._clip(entry, at)
        return entry

    def _from_file(
        self, provider: Provider, models: tuple[str | None, str | None], tier: str | None, at: float, moment: datetime
    ) -> PriceEntry | None:
        if self.price_file is None:
            return None
        for model in dict.fromkeys(m for m in models if m):
            hit = self.price_file.find(provider.name, model, tier, at)
            if hit is not None:
                return self._override_entry(hit, provider, tier, at, moment)
        return None

    def _override_entry(
        self, hit: ModelOverride, provider: Provider, tier: str | None, at: float, moment: datetime
    ) -> PriceEntry | None:
        assert self.price_file is not None
        name = self.price_file.entry_name(hit.rule)
        if hit.prices is not None:
            return _fixed_entry(name, hit.prices)
        target = PROVIDERS.get(hit.alias_provider or "", provider)
        alias = hit.alias or ""
        if target.prices_id is None:
            logger.warning("genai-cost: %s: provider %s has no bundled prices to alias", name, target.name)
            return None
        try:
            entry = _bundled_entry(target.prices_id, alias, tier, moment)
        except LookupError:
            logger.warning("genai-cost: %s: alias %r has no bundled price for provider %s", name, alias, target.name)
            return None
        entry.name, entry.source = f"{name} -> {entry.name}", SOURCE_OVERRIDE
        return self._discounted(entry, provider, (alias,), tier, at)

    def _bundled(
        self,
        provider: Provider,
        model: str | None,
        request_model: str | None,
        tier: str | None,
        at: float,
        moment: datetime,
    ) -> PriceEntry | None:
        assert provider.prices_id is not None
        for candidate in bundled_candidates(model, request_model):
            try:
                entry = _bundled_entry(provider.prices_id, candidate, tier, moment)
            except LookupError:
                continue
            return self._discounted(entry, provider, (model, request_model, entry.name), tier, at)
        return None

    def _discounted(
        self, entry: PriceEntry, provider: Provider, models: tuple[str | None, ...], tier: str | None, at: float
    ) -> PriceEntry:
        if self.price_file is None:
            return entry
        model_ids = [*models, (entry.name or "").partition("/")[2]]
        discount = self.price_file.discount(provider.name, [m for m in model_ids if m], tier, at)
        if discount is None:
            return entry
        entry.multiplier *= discount.multiplier
        entry.name = f"{entry.name} x{discount.multiplier:g} ({self.price_file.entry_name(discount.rule)})"
        entry.source = SOURCE_OVERRIDE
        entry.notes += (f"discount x{discount.multiplier:g} from {self.price_file.entry_name(discount.rule)}",)
        return entry

    def _clip(self, entry: PriceEntry, at: float) -> None:
        """Expire the entry where an override's date range begins or ends."""
        index = bisect.bisect_right(self._boundaries, at)
        if index:
            entry.valid_from = max(entry.valid_from, self._boundaries[index - 1])
        if index < len(self._boundaries):
            entry.valid_until = min(entry.valid_until, self._boundaries[index])

    def _warn_unpriced(self, provider: Provider, model: str) -> None:
        if not _first_time(_warned, (provider.name, model)):
            return
        logger.warning(
            "genai-cost: no price for model %r of provider %s; its calls are counted as unpriced (add it to %s)",
            model,
            provider.name,
            config.ENV_PRICES_FILE,
        )


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


def _bundled_entry(prices_id: str, model_ref: str, tier: str | None, moment: datetime) -> PriceEntry:
    """The genai-prices entry of a model at a moment. Raises LookupError when there is none."""
    from genai_prices.data_snapshot import get_snapshot

    snapshot = get_snapshot()
    provider, model = snapshot.find_provider_model(model_ref, None, prices_id, None)
    context = tier_context(tier)
    model_price = model.get_prices(moment, context)
    thresholds = sorted({t.start for value in vars(model_price).values() if _is_tiered(value) for t in value.tiers})
    name = f"{provider.id}/{model.id}"
    multiplier, notes = 1.0, ()
    if context and not _variant_in_force(model, context, moment):
        documented = BATCH_MULTIPLIERS.get(provider.id) if tier == TIER_BATCH else None
        if documented is not None:
            multiplier, name = documented, f"{name} x{documented:g} (batch)"
            notes = (f"no batch price in the data for this date: standard x{documented:g}, as the provider documents",)
        else:
            notes = (f"no {tier} price in the data for this date: standard rates",)
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


def _fixed_entry(name: str, prices: dict[str, Decimal] | Any) -> PriceEntry:
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


def _probe(entry: PriceEntry, band: int) -> Rates:
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



def _midnight(moment: datetime) -> float:
    return datetime.combine(moment.date(), time_of_day(0), tzinfo=UTC).timestamp()


def _next_midnight(moment: datetime) -> float:
    return _midnight(moment) + 86400.0


def _window(model: Any, moment: datetime) -> tuple[float, float]:
    """The instants around `moment` with the same price: its UTC day (dated prices change at
    midnight), narrowed by the edges of daily price windows (e.g. off-peak hours)."""
    from genai_prices.types import TimeOfDateConstraint

    now = moment.timestamp()
    start, end = _midnight(moment), _next_midnight(moment)
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
