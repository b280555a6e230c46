"""What a price file holds once validated: its entries, the keys it may use, and its problems.

These are plain values: parsing and validation build them (parse.py, validate.py), matching reads
them (match.py), and nothing here depends on how the file was written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
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
REQUIRED_PRICES = ("input", "output")
MATCH_KEYS = ("name", "provider", "match", "regex", "tier", "from", "until")
MODEL_KEYS = frozenset((*MATCH_KEYS, "prices", "alias", "alias_provider", "comment"))
DISCOUNT_KEYS = frozenset((*MATCH_KEYS, "multiplier", "comment"))
TOP_KEYS = frozenset(("version", "models", "discounts"))


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
    """A validated override file, its entries in file order (the order matching follows)."""

    path: str
    models: list[ModelOverride] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)

    @property
    def label(self) -> str:
        return os.path.basename(self.path)

    def entry_name(self, rule: Rule) -> str:
        """How spans name the entry that priced a call: override:<file>#<name>."""
        return f"override:{self.label}#{rule.name}"


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
