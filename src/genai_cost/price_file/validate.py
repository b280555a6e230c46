"""Checking a parsed price file against its schema, collecting every problem with its line.

A file with any problem is rejected as a whole (a half-applied discount is worse than none), so the
validator never stops at the first problem: it reports them all, and builds the PriceFile only
when there are none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from genai_cost.price_file.parse import LocatedList, LocatedMap
from genai_cost.price_file.schema import (
    DISCOUNT_KEYS,
    MODEL_KEYS,
    PRICE_KEYS,
    REQUIRED_PRICES,
    TOP_KEYS,
    Discount,
    ModelOverride,
    PriceFile,
    PriceFileError,
    Problem,
    Rule,
    parse_instant,
)


def validate(document: Any, path: str, known_providers: Iterable[str] | None = None) -> PriceFile:
    """The PriceFile of a parsed document. Raises PriceFileError listing every problem found.

    `known_providers`: the gen_ai.provider.name values entries may name (None: any), so that a typo
    is a problem with a line rather than an entry that never matches.
    """
    known = frozenset(known_providers) if known_providers is not None else None
    return Validator(path, known).document(document)


class Validator:
    """One pass over a document: each check records its problems and says whether it passed."""

    def __init__(self, path: str, known_providers: frozenset[str] | None) -> None:
        self.path = path
        self.known_providers = known_providers
        self.problems: list[Problem] = []
        self.names: dict[str, int] = {}

    def fail(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))

    def document(self, doc: Any) -> PriceFile:
        result = PriceFile(self.path)
        if not isinstance(doc, LocatedMap):
            self.fail(getattr(doc, "line", 1), "expected a mapping with `models` and/or `discounts`")
            raise PriceFileError(self.path, self.problems)
        for key in doc:
            if key not in TOP_KEYS:
                self.fail(doc.line_of(key), f"unknown key {key!r}; expected one of: models, discounts, version")
        if doc.get("version", 1) != 1:
            self.fail(doc.line_of("version"), f"unsupported version {doc['version']!r}; expected 1")
        result.models = [m for m in self.entries(doc, "models", self.model) if m is not None]
        result.discounts = [d for d in self.entries(doc, "discounts", self.discount) if d is not None]
        if not result.models and not result.discounts and not self.problems:
            self.fail(doc.line, "no `models` and no `discounts`: the file changes nothing")
        if self.problems:
            raise PriceFileError(self.path, self.problems)
        return result

    def entries(self, doc: LocatedMap, key: str, build: Callable[[str, LocatedMap], Any]) -> list[Any]:
        if key not in doc:
            return []
        items = doc[key]
        if not isinstance(items, LocatedList):
            self.fail(doc.line_of(key), f"{key}: expected a list of entries")
            return []
        built = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, LocatedMap):
                self.fail(items.item_lines[index], f"{where}: expected a mapping")
                continue
            built.append(build(where, item))
        return built

    def model(self, where: str, item: LocatedMap) -> ModelOverride | None:
        rule = self.rule(where, item, MODEL_KEYS, need_model=True)
        has_prices, alias = "prices" in item, item.get("alias")
        if has_prices == (alias is not None):
            self.fail(item.line, f"{self.label(where, item)}: give exactly one of `prices` or `alias`")
            return None
        if alias is not None and (not isinstance(alias, str) or not alias.strip()):
            self.fail(item.line_of("alias"), f"{self.label(where, item)}: alias: expected a model name")
            return None
        alias_provider = item.get("alias_provider")
        if alias_provider is not None and not self.provider_ok(where, item, "alias_provider", alias_provider):
            return None
        prices = self.prices(where, item) if has_prices else None
        if rule is None or (has_prices and prices is None):
            return None
        return ModelOverride(rule, prices, alias.strip() if alias else None, alias_provider)

    def discount(self, where: str, item: LocatedMap) -> Discount | None:
        rule = self.rule(where, item, DISCOUNT_KEYS, need_model=False)
        multiplier = item.get("multiplier")
        if multiplier is None:
            self.fail(item.line, f"{self.label(where, item)}: multiplier is required (e.g. 0.8 for 20% off)")
            return None
        if isinstance(multiplier, bool) or not isinstance(multiplier, int | float) or not 0 <= multiplier <= 10:
            self.fail(
                item.line_of("multiplier"),
                f"{self.label(where, item)}: multiplier: expected a number between 0 and 10, got {multiplier!r}",
            )
            return None
        return Discount(rule, float(multiplier)) if rule is not None else None

    def label(self, where: str, item: LocatedMap) -> str:
        name = item.get("name")
        return f"{where} ({name})" if isinstance(name, str) and name else where

    def rule(self, where: str, item: LocatedMap, allowed: frozenset[str], need_model: bool) -> Rule | None:
        label = self.label(where, item)
        ok = self.keys_ok(label, item, allowed)
        ok = self.name_ok(where, item) and ok
        providers = self.providers(label, item)
        models = self.models(label, item)
        regex = self.regex(label, item)
        if need_model and not models and regex is None and "match" not in item and "regex" not in item:
            self.fail(item.line, f"{label}: give `match` (exact model names) or `regex`")
            ok = False
        tier = item.get("tier")
        ok = self.tier_ok(label, item, tier) and ok
        start, end = self.instant(label, item, "from"), self.instant(label, item, "until")
        if start is not None and end is not None and start >= end:
            self.fail(item.line_of("until"), f"{label}: until must be after from")
            ok = False
        if not ok or providers is False or models is None or regex is False or start is False or end is False:
            return None
        return Rule(item["name"], item.line, providers, models, regex, tier, start, end)  # type: ignore[arg-type]

    def keys_ok(self, label: str, item: LocatedMap, allowed: frozenset[str]) -> bool:
        unknown = [key for key in item if key not in allowed]
        for key in unknown:
            expected = ", ".join(sorted(allowed))
            self.fail(item.line_of(key), f"{label}: unknown key {key!r}; expected one of: {expected}")
        return not unknown

    def name_ok(self, where: str, item: LocatedMap) -> bool:
        """Names are how spans cite an entry: required, plain, unique within the file."""
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.:/@+-]+", name):
            self.fail(item.line_of("name"), f"{where}: name is required: letters, digits and _.:/@+- only")
            return False
        if name in self.names:
            self.fail(item.line_of("name"), f"{where}: name {name!r} is already used on line {self.names[name]}")
            return False
        self.names[name] = item.line_of("name")
        return True

    def tier_ok(self, label: str, item: LocatedMap, tier: Any) -> bool:
        if tier is not None and (not isinstance(tier, str) or not tier):
            self.fail(item.line_of("tier"), f"{label}: tier: expected a tier name such as batch, flex, priority")
            return False
        return True

    def provider_ok(self, label: str, item: LocatedMap, key: str, value: Any) -> bool:
        if not isinstance(value, str) or not value:
            self.fail(item.line_of(key), f"{label}: {key}: expected a provider name, got {value!r}")
            return False
        if self.known_providers is not None and value not in self.known_providers:
            known = ", ".join(sorted(self.known_providers))
            self.fail(item.line_of(key), f"{label}: {key}: unknown provider {value!r}; known: {known}")
            return False
        return True

    def providers(self, label: str, item: LocatedMap) -> frozenset[str] | None | bool:
        value = item.get("provider")
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        if not values or not all(self.provider_ok(label, item, "provider", v) for v in values):
            return False
        return frozenset(values)

    def models(self, label: str, item: LocatedMap) -> tuple[str, ...] | None:
        value = item.get("match")
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            self.fail(item.line_of("match"), f"{label}: match: expected a model name or a list of them")
            return None
        return tuple(v.strip().lower() for v in values)

    def regex(self, label: str, item: LocatedMap) -> re.Pattern[str] | None | bool:
        value = item.get("regex")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.fail(item.line_of("regex"), f"{label}: regex: expected a regular expression")
            return False
        try:
            return re.compile(value, re.IGNORECASE)
        except re.error as error:
            self.fail(item.line_of("regex"), f"{label}: regex: invalid regular expression: {error}")
            return False

    def instant(self, label: str, item: LocatedMap, key: str) -> float | None | bool:
        value = item.get(key)
        if value is None:
            return None
        try:
            return parse_instant(value)
        except ValueError:
            self.fail(
                item.line_of(key),
                f"{label}: {key}: expected a date (2026-01-31) or a date-time (2026-01-31T12:00:00Z), got {value!r}",
            )
            return False

    def prices(self, where: str, item: LocatedMap) -> dict[str, Decimal] | None:
        label = self.label(where, item)
        table = item["prices"]
        if not isinstance(table, LocatedMap):
            self.fail(item.line_of("prices"), f"{label}: prices: expected a mapping of USD per million tokens")
            return None
        result: dict[str, Decimal] = {}
        ok = True
        for key, value in table.items():
            if key not in PRICE_KEYS:
                expected = ", ".join(PRICE_KEYS)
                self.fail(table.line_of(key), f"{label}: prices: unknown key {key!r}; expected one of: {expected}")
                ok = False
                continue
            number = _decimal(value)
            if number is None or number < 0:
                problem = f"{label}: prices.{key}: expected a number >= 0 (USD per million tokens), got {value!r}"
                self.fail(table.line_of(key), problem)
                ok = False
                continue
            result[PRICE_KEYS[key]] = number
        for key in REQUIRED_PRICES:
            if key not in table:
                self.fail(item.line_of("prices"), f"{label}: prices.{key} is required (write 0 for a free model)")
                ok = False
        if "cache_write_1h" in table and "cache_write_5m" not in table:
            self.fail(table.line_of("cache_write_1h"), f"{label}: prices.cache_write_1h needs prices.cache_write_5m")
            ok = False
        return result if ok else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
