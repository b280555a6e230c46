"""Which entry of a price file applies to a call: its provider, model, tier and start instant.

Model overrides: exact names before regexes, then file order. Discounts: the first in file order
whose scope applies. Entries with a date range start or stop applying at its ends; `boundaries`
lists those instants so resolved prices can expire there.
"""

from __future__ import annotations

from collections.abc import Iterable

from genai_cost.price_file.schema import Discount, ModelOverride, PriceFile, Rule


def applies(rule: Rule, provider: str, tier: str | None, at: float) -> bool:
    """The rule's provider, tier and date scope hold for a call (no tier: the standard tier)."""
    return (
        (rule.providers is None or provider in rule.providers)
        and (rule.tier is None or rule.tier == (tier or "standard"))
        and (rule.start is None or at >= rule.start)
        and (rule.end is None or at < rule.end)
    )


def matches_model(rule: Rule, model: str) -> bool:
    return model.lower() in rule.models or (rule.regex is not None and rule.regex.fullmatch(model) is not None)


def find_model(price_file: PriceFile, provider: str, model: str, tier: str | None, at: float) -> ModelOverride | None:
    """The first entry in file order that matches; exact names are tried before regexes."""
    for exact in (True, False):
        for entry in price_file.models:
            rule = entry.rule
            hit = model.lower() in rule.models if exact else rule.regex is not None and rule.regex.fullmatch(model)
            if hit and applies(rule, provider, tier, at):
                return entry
    return None


def find_discount(
    price_file: PriceFile, provider: str, models: Iterable[str], tier: str | None, at: float
) -> Discount | None:
    """The first discount that applies; one without `match` or `regex` covers every model."""
    names = [m for m in models if m]
    for discount in price_file.discounts:
        rule = discount.rule
        if not applies(rule, provider, tier, at):
            continue
        if (not rule.models and rule.regex is None) or any(matches_model(rule, m) for m in names):
            return discount
    return None


def boundaries(price_file: PriceFile) -> list[float]:
    """Instants at which an entry starts or stops applying: resolved prices expire there."""
    rules = [m.rule for m in price_file.models] + [d.rule for d in price_file.discounts]
    return sorted({t for r in rules for t in (r.start, r.end) if t is not None})
