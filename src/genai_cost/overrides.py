"""The price override file named by `GENAI_COST_PRICES_FILE`: schema, loading, validation, matching.

A file corrects or extends the bundled prices: explicit per-million prices for a model (custom,
fine-tuned, self-hosted at $0 on purpose), aliases that price a name (an Azure deployment) as a
bundled model, negotiated discount multipliers, each optionally scoped to providers, a service tier
and a date range. YAML (with PyYAML installed) or JSON::

    models:
      - name: llama-on-prem            # required, unique: spans say override:<file>#llama-on-prem
        provider: vllm                 # optional: gen_ai.provider.name, or a list of them
        match: llama-3.3-70b           # exact model name(s), case-insensitive (or `regex:`)
        prices: {input: 0, output: 0}  # USD per million tokens
      - name: prod-deployment
        provider: azure.ai.openai
        match: [prod-gpt4o, eu-gpt4o]
        alias: gpt-4o                  # price as this bundled model
    discounts:
      - name: azure-commit
        provider: azure.ai.openai
        multiplier: 0.8

A file with any problem is rejected as a whole (a half-applied discount is worse than none): the
loader returns every problem with its line, and the caller keeps the bundled prices.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Per-million price keys of the file -> genai-prices ModelPrice fields.
PRICE_KEYS: dict[str, str] = {
    "input": "input_mtok",
    "cached": "cache_read_mtok",
    "cache_write_5m": "cache_write_mtok",
    "cache_write_1h": "cache_write_1h_mtok",
    "output": "output_mtok",
    "reasoning": "output_reasoning_mtok",
    "input_audio": "input_audio_mtok",
    "output_audio": "output_audio_mtok",
}
_REQUIRED_PRICES = ("input", "output")
_MATCH_KEYS = ("name", "provider", "match", "regex", "tier", "from", "until")
_MODEL_KEYS = frozenset((*_MATCH_KEYS, "prices", "alias", "alias_provider", "comment"))
_DISCOUNT_KEYS = frozenset((*_MATCH_KEYS, "multiplier", "comment"))
_TOP_KEYS = frozenset(("version", "models", "discounts"))


class PriceFileError(Exception):
    """A price file that cannot be used; `problems` lists every (line, message) found."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{path}:{first.line}: {first.message}{more}" if first.line else f"{path}: {first.message}")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    message: str

    def format(self, path: str) -> str:
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


@dataclass(frozen=True, slots=True)
class Rule:
    """What an entry applies to: providers, model names or a regex, a tier, a date range."""

    name: str
    line: int
    providers: frozenset[str] | None  # None: any provider
    models: tuple[str, ...]  # exact names, lower case
    regex: re.Pattern[str] | None
    tier: str | None  # None: any tier
    start: float | None  # epoch seconds, inclusive
    end: float | None  # epoch seconds, exclusive

    def applies(self, provider: str, tier: str | None, at: float) -> bool:
        return (
            (self.providers is None or provider in self.providers)
            and (self.tier is None or self.tier == (tier or "standard"))
            and (self.start is None or at >= self.start)
            and (self.end is None or at < self.end)
        )

    def matches_model(self, model: str) -> bool:
        return model.lower() in self.models or (self.regex is not None and self.regex.fullmatch(model) is not None)


@dataclass(frozen=True, slots=True)
class ModelOverride:
    rule: Rule
    prices: Mapping[str, Decimal] | None  # genai-prices ModelPrice fields, USD per million
    alias: str | None = None
    alias_provider: str | None = None  # gen_ai.provider.name whose bundled prices the alias uses


@dataclass(frozen=True, slots=True)
class Discount:
    rule: Rule
    multiplier: float


@dataclass(slots=True)
class PriceFile:
    """A validated override file, indexed for matching."""

    path: str
    models: list[ModelOverride] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)

    @property
    def label(self) -> str:
        return os.path.basename(self.path)

    def entry_name(self, rule: Rule) -> str:
        return f"override:{self.label}#{rule.name}"

    def find(self, provider: str, model: str, tier: str | None, at: float) -> ModelOverride | None:
        """The first entry in file order that matches; exact names are tried before regexes."""
        for exact in (True, False):
            for entry in self.models:
                rule = entry.rule
                hit = model.lower() in rule.models if exact else rule.regex is not None and rule.regex.fullmatch(model)
                if hit and rule.applies(provider, tier, at):
                    return entry
        return None

    def discount(self, provider: str, models: Iterable[str], tier: str | None, at: float) -> Discount | None:
        names = [m for m in models if m]
        for discount in self.discounts:
            rule = discount.rule
            if not rule.applies(provider, tier, at):
                continue
            if (not rule.models and rule.regex is None) or any(rule.matches_model(m) for m in names):
                return discount
        return None

    def boundaries(self) -> list[float]:
        """Instants at which an entry starts or stops applying: resolved prices expire there."""
        rules = [m.rule for m in self.models] + [d.rule for d in self.discounts]
        return sorted({t for r in rules for t in (r.start, r.end) if t is not None})


# --- loading -------------------------------------------------------------------------------------


def load(path: str, known_providers: Iterable[str] | None = None) -> PriceFile:
    """Read and validate a price file. Raises PriceFileError listing every problem found."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        raise PriceFileError(path, [Problem(None, f"cannot read the file: {error.strerror or error}")]) from None
    return parse(text, path, known_providers)


def parse(text: str, path: str, known_providers: Iterable[str] | None = None) -> PriceFile:
    is_json = path.lower().endswith(".json") or text.lstrip().startswith("{")
    document = _parse_json(text, path) if is_json else _parse_yaml(text, path)
    return _Validator(path, frozenset(known_providers) if known_providers is not None else None).document(document)


class _Map(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _List(list):  # type: ignore[type-arg]
    line: int = 0
    item_lines: list[int]


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _parse_json(text: str, path: str) -> Any:
    """json.loads that keeps line numbers (the pure-Python scanner, with located containers)."""
    decoder = json.JSONDecoder()
    duplicates: list[Problem] = []

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, hook: Any, pairs_hook: Any, memo=None):
        s, start = s_and_end
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        result = _Map()
        result.line, result.key_lines = _line_at(s, start), {}
        search = start
        for key, value in pairs:
            at = s.find(json.dumps(key, ensure_ascii=False), search, end)
            line = _line_at(s, at) if at >= 0 else result.line
            search = at + 1 if at >= 0 else search
            if key in result:
                duplicates.append(Problem(line, f"duplicate key {key!r}"))
            result[key], result.key_lines[key] = value, line
        return result, end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any, **kwargs: Any):
        s, start = s_and_end
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        result = _List(values)
        result.line = _line_at(s, start)
        result.item_lines = [getattr(v, "line", result.line) for v in values]
        return result, end

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.parse_array = parse_array  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        document = decoder.decode(text)
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, f"invalid JSON: {error.msg} (column {error.colno})")
        raise PriceFileError(path, [problem]) from None
    if duplicates:
        raise PriceFileError(path, duplicates)
    return document


def _parse_yaml(text: str, path: str) -> Any:
    try:
        import yaml
    except ImportError:
        problem = Problem(None, "YAML needs PyYAML (pip install 'genai-cost[yaml]'), or write the file as JSON")
        raise PriceFileError(path, [problem]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise PriceFileError(path, [Problem(line, f"invalid YAML: {error.problem or error.context}")]) from None
    except yaml.YAMLError as error:
        raise PriceFileError(path, [Problem(None, f"invalid YAML: {error}")]) from None
    if node is None:
        return None
    constructor = yaml.SafeLoader("")
    problems: list[Problem] = []

    def convert(n: Any) -> Any:
        if isinstance(n, yaml.MappingNode):
            result = _Map()
            result.line, result.key_lines = n.start_mark.line + 1, {}
            for key_node, value_node in n.value:
                key = convert(key_node)
                line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    problems.append(Problem(line, f"keys must be strings, got {key!r}"))
                    continue
                if key in result:
                    problems.append(Problem(line, f"duplicate key {key!r}"))
                result[key], result.key_lines[key] = convert(value_node), line
            return result
        if isinstance(n, yaml.SequenceNode):
            items = _List(convert(item) for item in n.value)
            items.line, items.item_lines = n.start_mark.line + 1, [item.start_mark.line + 1 for item in n.value]
            return items
        try:
            return constructor.construct_object(n, deep=True)
        except yaml.YAMLError as error:
            problems.append(Problem(n.start_mark.line + 1, f"invalid value: {error}"))
            return None

    document = convert(node)
    if problems:
        raise PriceFileError(path, problems)
    return document


# --- validation ----------------------------------------------------------------------------------


class _Validator:
    def __init__(self, path: str, known_providers: frozenset[str] | None) -> None:
        self.path = path
        self.known_providers = known_providers
        self.problems: list[Problem] = []
        self.names: dict[str, int] = {}

    def fail(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(line, message))

    def document(self, doc: Any) -> PriceFile:
        result = PriceFile(self.path)
        if not isinstance(doc, _Map):
            self.fail(getattr(doc, "line", 1), "expected a mapping with `models` and/or `discounts`")
            raise PriceFileError(self.path, self.problems)
        for key in doc:
            if key not in _TOP_KEYS:
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

    def entries(self, doc: _Map, key: str, build: Callable[[str, _Map], Any]) -> list[Any]:
        if key not in doc:
            return []
        items = doc[key]
        if not isinstance(items, _List):
            self.fail(doc.line_of(key), f"{key}: expected a list of entries")
            return []
        built = []
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, _Map):
                self.fail(items.item_lines[index], f"{where}: expected a mapping")
                continue
            built.append(build(where, item))
        return built

    def model(self, where: str, item: _Map) -> ModelOverride | None:
        rule = self.rule(where, item, _MODEL_KEYS, need_model=True)
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

    def discount(self, where: str, item: _Map) -> Discount | None:
        rule = self.rule(where, item, _DISCOUNT_KEYS, need_model=False)
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

    def label(self, where: str, item: _Map) -> str:
        name = item.get("name")
        return f"{where} ({name})" if isinstance(name, str) and name else where

    def rule(self, where: str, item: _Map, allowed: frozenset[str], need_model: bool) -> Rule | None:
        ok = True
        label = self.label(where, item)
        for key in item:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.fail(item.line_of(key), f"{label}: unknown key {key!r}; expected one of: {expected}")
                ok = False
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.:/@+-]+", name):
            self.fail(item.line_of("name"), f"{where}: name is required: letters, digits and _.:/@+- only")
            ok = False
        elif name in self.names:
            self.fail(item.line_of("name"), f"{where}: name {name!r} is already used on line {self.names[name]}")
            ok = False
        else:
            self.names[name] = item.line_of("name")
        providers = self.providers(label, item)
        models = self.models(label, item)
        regex = self.regex(label, item)
        if need_model and not models and regex is None and "match" not in item and "regex" not in item:
            self.fail(item.line, f"{label}: give `match` (exact model names) or `regex`")
            ok = False
        tier = item.get("tier")
        if tier is not None and (not isinstance(tier, str) or not tier):
            self.fail(item.line_of("tier"), f"{label}: tier: expected a tier name such as batch, flex, priority")
            ok = False
        start, end = self.instant(label, item, "from"), self.instant(label, item, "until")
        if start is not None and end is not None and start >= end:
            self.fail(item.line_of("until"), f"{label}: until must be after from")
            ok = False
        if not ok or providers is False or models is None or regex is False or start is False or end is False:
            return None
        return Rule(name, item.line, providers, models, regex, tier, start, end)  # type: ignore[arg-type]

    def provider_ok(self, label: str, item: _Map, key: str, value: Any) -> bool:
        if not isinstance(value, str) or not value:
            self.fail(item.line_of(key), f"{label}: {key}: expected a provider name, got {value!r}")
            return False
        if self.known_providers is not None and value not in self.known_providers:
            known = ", ".join(sorted(self.known_providers))
            self.fail(item.line_of(key), f"{label}: {key}: unknown provider {value!r}; known: {known}")
            return False
        return True

    def providers(self, label: str, item: _Map) -> frozenset[str] | None | bool:
        value = item.get("provider")
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        if not values or not all(self.provider_ok(label, item, "provider", v) for v in values):
            return False
        return frozenset(values)

    def models(self, label: str, item: _Map) -> tuple[str, ...] | None:
        value = item.get("match")
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            self.fail(item.line_of("match"), f"{label}: match: expected a model name or a list of them")
            return None
        return tuple(v.strip().lower() for v in values)

    def regex(self, label: str, item: _Map) -> re.Pattern[str] | None | bool:
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

    def instant(self, label: str, item: _Map, key: str) -> float | None | bool:
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

    def prices(self, where: str, item: _Map) -> dict[str, Decimal] | None:
        label = self.label(where, item)
        table = item["prices"]
        if not isinstance(table, _Map):
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
        for key in _REQUIRED_PRICES:
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


def parse_instant(value: Any) -> float:
    """A date (UTC midnight) or date-time (naive: UTC) given as such or as ISO text -> epoch seconds."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        moment = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
