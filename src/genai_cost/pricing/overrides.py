"""The override file as the price book applies it: its own prices, aliases and discounts.

An entry of the file prices a model itself (its per-million prices) or as a bundled model (an
alias, for example an Azure deployment name); a discount scales a bundled price. Entries with a
date range start or stop applying at its ends, so a resolved price is clipped to those instants.
The file named by GENAI_COST_PRICES_FILE is loaded once; a file with any problem is not used at
all (one error line says why) and the bundled prices apply.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from genai_cost import config
from genai_cost.pricing.bundled import bundled_entry, fixed_entry
from genai_cost.pricing.types import SOURCE_OVERRIDE, PriceEntry
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS, Provider

# The price file's modules load only when a file is configured: most apps have none.
if TYPE_CHECKING:
    from genai_cost.price_file import ModelOverride, PriceFile

logger = logging.getLogger("genai_cost")


@dataclass(slots=True)
class Overrides:
    """A price file (or none) and what the price book reports about it."""

    price_file: PriceFile | None = None
    path: str | None = None  # the configured file, also when it was rejected
    problems: int = 0  # problems found in the configured file (0: in use)
    boundaries: list[float] = field(default_factory=list)  # instants where an entry starts or stops

    @classmethod
    def of(cls, price_file: PriceFile | None) -> Overrides:
        if price_file is None:
            return cls()
        from genai_cost.price_file import match

        return cls(price_file, price_file.path, 0, match.boundaries(price_file))

    @classmethod
    def configured(cls) -> Overrides:
        """The file named by GENAI_COST_PRICES_FILE, if any. Never raises: problems are logged."""
        path = config.get().prices_file
        if not path:
            return cls()
        from genai_cost.price_file import PriceFileError
        from genai_cost.price_file import load as load_price_file

        try:
            price_file = load_price_file(path, KNOWN_PROVIDERS)
        except PriceFileError as error:
            logger.error(
                "genai-cost: %s=%s is not used, calls are priced from the bundled prices: %s",
                config.ENV_PRICES_FILE,
                path,
                error,
            )
            return cls(path=path, problems=len(error.problems))
        except Exception as error:  # nothing in a price file may stop the app
            logger.error("genai-cost: %s=%s could not be loaded: %r", config.ENV_PRICES_FILE, path, error)
            return cls(path=path, problems=1)
        return cls.of(price_file)

    def entry(
        self, provider: Provider, models: tuple[str | None, str | None], tier: str | None, at: float, moment: datetime
    ) -> PriceEntry | None:
        """The file's price for the first of `models` (response, request model) it has one for."""
        if self.price_file is None:
            return None
        for model in dict.fromkeys(m for m in models if m):
            from genai_cost.price_file import match

            hit = match.find_model(self.price_file, provider.name, model, tier, at)
            if hit is not None:
                return self._override_entry(hit, provider, tier, at, moment)
        return None

    def _override_entry(
        self, hit: ModelOverride, provider: Provider, tier: str | None, at: float, moment: datetime
    ) -> PriceEntry | None:
        assert self.price_file is not None
        name = self.price_file.entry_name(hit.rule)
        if hit.prices is not None:
            return fixed_entry(name, hit.prices)
        return self._alias_entry(name, hit, provider, tier, at, moment)

    def _alias_entry(
        self, name: str, hit: ModelOverride, provider: Provider, tier: str | None, at: float, moment: datetime
    ) -> PriceEntry | None:
        """The bundled price of the alias's model (at its own provider, if named), then discounts."""
        target = PROVIDERS.get(hit.alias_provider or "", provider)
        alias = hit.alias or ""
        if target.prices_id is None:
            logger.warning("genai-cost: %s: provider %s has no bundled prices to alias", name, target.name)
            return None
        try:
            entry = bundled_entry(target.prices_id, alias, tier, moment)
        except LookupError:
            logger.warning("genai-cost: %s: alias %r has no bundled price for provider %s", name, alias, target.name)
            return None
        entry.name, entry.source = f"{name} -> {entry.name}", SOURCE_OVERRIDE
        return self.discounted(entry, provider, (alias,), tier, at)

    def discounted(
        self, entry: PriceEntry, provider: Provider, models: tuple[str | None, ...], tier: str | None, at: float
    ) -> PriceEntry:
        """`entry` scaled by the file's discount for the call, if one applies (named on the entry)."""
        if self.price_file is None:
            return entry
        model_ids = [*models, (entry.name or "").partition("/")[2]]
        from genai_cost.price_file import match

        discount = match.find_discount(self.price_file, provider.name, [m for m in model_ids if m], tier, at)
        if discount is None:
            return entry
        rule_name = self.price_file.entry_name(discount.rule)
        entry.multiplier *= discount.multiplier
        entry.name = f"{entry.name} x{discount.multiplier:g} ({rule_name})"
        entry.source = SOURCE_OVERRIDE
        entry.notes += (f"discount x{discount.multiplier:g} from {rule_name}",)
        return entry

    def clip(self, entry: PriceEntry, at: float) -> None:
        """Expire the entry where an override's date range begins or ends."""
        index = bisect.bisect_right(self.boundaries, at)
        if index:
            entry.valid_from = max(entry.valid_from, self.boundaries[index - 1])
        if index < len(self.boundaries):
            entry.valid_until = min(entry.valid_until, self.boundaries[index])
