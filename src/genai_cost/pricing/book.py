"""PriceBook: USD cost of a call, prices resolved once per key, arithmetic per call.

Prices are those in force when the call started. Sources, in order: the cost the provider reported
(it wins over any table), the override file (see pricing/overrides.py), the bundled genai-prices
data (pricing/bundled.py), which a discount from the file may then scale. A resolved entry says
for which instants it holds (one UTC day, or less where a daily price window or an override's date
range begins or ends); a call outside it is resolved again.

Pricing never raises into the app: broken price data makes the call unpriced (`price_error`), an
unknown model makes it unpriced (`unknown_model`), each said once per process in the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from genai_cost import config, names
from genai_cost.pricing import refresh
from genai_cost.pricing.bundled import bundled_candidates, bundled_entry, price_data, utc_day
from genai_cost.pricing.overrides import Overrides
from genai_cost.pricing.types import SOURCE_PROVIDER, Price, PriceEntry
from genai_cost.providers import Provider
from genai_cost.usage import Usage

if TYPE_CHECKING:
    from genai_cost.price_file import PriceFile

logger = logging.getLogger("genai_cost")

# (provider name, genai-prices id, response model, request model, tier) -> resolved entry
_Key = tuple[str, str | None, str | None, str | None, str | None]
_MAX_ENTRIES = 4096  # bounded, whatever model names a process sees
# Longer than an SDK's own work in a first call before its request leaves (20 to 40 ms measured),
# shorter than a provider's answer: see PriceBook.warm.
_WARM_DELAY = 0.05

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
        self.overrides = Overrides.of(price_file)
        self._entries: dict[_Key, PriceEntry] = {}
        self._configure: Callable[[], None] | None = None
        self._configure_lock = threading.Lock()
        self._refresh: refresh.PriceRefresh | None = None  # only when the user opted in
        self._warming = False

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
        self.overrides = Overrides.configured()
        self._refresh = refresh.start()

    def _ensure_configured(self) -> None:
        if self._configure is not None:
            with self._configure_lock:
                if self._configure is not None:
                    self._configure()
                    self._configure = None

    def warm(self, provider: Provider, model: str | None) -> None:
        """Load the price data in the background, once, when the first call starts, and resolve
        the price of that call's model.

        Nothing is loaded at import or at instrumentation: an app that makes no LLM call never pays
        for genai-prices (about 25 ms of CPU next to an SDK). The load waits `_WARM_DELAY` first: the
        SDK's own first-call work before its request leaves then has the GIL to itself, and the
        load runs while the call waits for the provider. A call answered sooner loads the data
        itself at its end, no later than without a warm-up. Resolving the requested model's price
        (its rates read off genai-prices' calculation) leaves little but a dictionary lookup for
        the call's end, even when the response names a dated snapshot of the model.
        """
        if self._warming:
            return
        self._warming = True
        args = (provider, model)
        threading.Thread(target=self._warm_up, args=args, name="genai-cost-prices", daemon=True).start()

    def _warm_up(self, provider: Provider, model: str | None) -> None:
        time.sleep(_WARM_DELAY)
        try:
            self._ensure_configured()
            price_data()
            if model:  # quietly: an unknown model or broken data is the call's own to report
                entry = self.resolve(provider, model, None, time.time(), model, report=False)
                if entry.calc is not None:
                    entry.rates_for(0)
                    self._store(provider, model, model, None, entry)
        except Exception:  # the first price lookup loads (and reports) it again
            logger.debug("genai-cost: could not load the price data ahead of the first call", exc_info=True)

    def stop_refresh(self) -> None:
        """Stop the background price refresh (the prices it fetched stay in use)."""
        started, self._refresh = self._refresh, None
        if started is not None:
            started.stop()

    def file_state(self) -> tuple[str, int] | None:
        """(path, number of problems) of the configured price file; None when there is none."""
        self._ensure_configured()
        overrides = self.overrides
        return (overrides.path, overrides.problems) if overrides.path else None

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
        """The hot path: a dict lookup and a dot product once the entry is resolved."""
        if at is None:
            at = time.time()
        if self._refresh is not None and self._refresh.newer_data():
            self._entries = {}
        entry = self._entries.get((provider.name, provider.prices_id, model, request_model, tier))
        if entry is None or not entry.valid_from <= at < entry.valid_until:
            entry = self._cache(provider, model, request_model, tier, at)
        if entry.name is None:
            return _unpriced(provider, usage, entry)
        rates = entry.rates_for(usage.input_tokens)
        savings = rates.savings(usage)
        if usage.provider_cost is not None:
            return Price(usage.provider_cost, savings, SOURCE_PROVIDER, entry.name)
        return Price(rates.cost(usage), savings, entry.source, entry.name)

    def _cache(
        self, provider: Provider, model: str | None, request_model: str | None, tier: str | None, at: float
    ) -> PriceEntry:
        entry = self.resolve(provider, model, tier, at, request_model)
        return self._store(provider, model, request_model, tier, entry)

    def _store(
        self, provider: Provider, model: str | None, request_model: str | None, tier: str | None, entry: PriceEntry
    ) -> PriceEntry:
        if len(self._entries) > _MAX_ENTRIES:
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
        report: bool = True,
    ) -> PriceEntry:
        """The price entry for a call (uncached: 50-500 us). An entry with name None means unpriced.

        `report`: log a failed lookup and warn of a model without a price (once per model)."""
        self._ensure_configured()
        at = time.time() if at is None else at
        moment = datetime.fromtimestamp(at, UTC)
        overrides = self.overrides
        entry, failed = None, False
        try:
            entry = overrides.entry(provider, (model, request_model), tier, at, moment)
            if entry is None and provider.prices_id is not None:
                entry = self._bundled(provider, model, request_model, tier, moment, at)
        except Exception:  # a broken price table must not break the app
            failed = True
            log = logger.exception if report else logger.debug
            log("genai-cost: price lookup failed for %s/%s", provider.name, model or request_model, exc_info=True)
        if entry is None:
            if not failed and report:
                _warn_unpriced(provider, model or request_model or "")
            valid_from, valid_until = utc_day(moment)
            entry = PriceEntry(None, valid_from=valid_from, valid_until=valid_until, failed=failed)
        overrides.clip(entry, at)
        return entry

    def _bundled(
        self,
        provider: Provider,
        model: str | None,
        request_model: str | None,
        tier: str | None,
        moment: datetime,
        at: float,
    ) -> PriceEntry | None:
        """The bundled price of the first candidate name that has one, discounted by the file."""
        assert provider.prices_id is not None
        for candidate in bundled_candidates(model, request_model):
            try:
                entry = bundled_entry(provider.prices_id, candidate, tier, moment)
            except LookupError:
                continue
            return self.overrides.discounted(entry, provider, (model, request_model, entry.name), tier, at)
        return None


def _unpriced(provider: Provider, usage: Usage, entry: PriceEntry) -> Price:
    """No price for the key: the provider's reported cost if any, else unpriced with its reason."""
    if usage.provider_cost is not None:
        return Price(usage.provider_cost, source=SOURCE_PROVIDER)
    if entry.failed:
        return Price(None, unpriced_reason=names.UNPRICED_PRICE_ERROR)
    reason = names.UNPRICED_LOCAL_MODEL if provider.local else names.UNPRICED_UNKNOWN_MODEL
    return Price(None, unpriced_reason=reason)


def _warn_unpriced(provider: Provider, model: str) -> None:
    if not _first_time(_warned, (provider.name, model)):
        return
    logger.warning(
        "genai-cost: no price for model %r of provider %s; its calls are counted as unpriced (add it to %s)",
        model,
        provider.name,
        config.ENV_PRICES_FILE,
    )
