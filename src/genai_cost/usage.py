"""The normalised usage record every provider module produces, and helpers to read SDK objects.

Semantics follow the OpenTelemetry GenAI conventions, so the record can go on a span as is:
`input_tokens` is ALL input (cache reads and writes included), `output_tokens` is ALL output
(reasoning included); the other counts are subsets. Provider quirks (Anthropic's input that
excludes cache, xAI's and Gemini's output that excludes reasoning) are resolved by the provider's
extractor before a record is built, never later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

# What `count` returns for a value that is present but is no token count (a word, NaN, a bool). So
# negative that no sum with real counts turns it positive: `Usage.is_consistent` rejects it.
MALFORMED = -(2**62)
# No single call comes near this many tokens; a larger count is a malformed report (and would not
# fit the int64 of an exported span attribute).
MAX_TOKENS = 10**12


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0  # all cache writes; the 1h part below, the rest is 5-minute
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0  # uncached audio input (cached audio is in cache_audio_read_tokens)
    output_audio_tokens: int = 0
    web_searches: int = 0
    provider_cost: float | None = None  # USD, when the response itself carries the cost
    cache_audio_read_tokens: int = 0  # the audio part of cache_read_tokens (Gemini prices it apart)

    @property
    def cache_write_5m_tokens(self) -> int:
        return self.cache_write_tokens - self.cache_write_1h_tokens

    def plus(self, other: Usage) -> Usage:
        """The usage of two sampling steps billed for one call (e.g. Anthropic compaction iterations)."""
        both_unknown = self.provider_cost is None and other.provider_cost is None
        cost = None if both_unknown else (self.provider_cost or 0.0) + (other.provider_cost or 0.0)
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.input_audio_tokens + other.input_audio_tokens,
            self.output_audio_tokens + other.output_audio_tokens,
            self.web_searches + other.web_searches,
            cost,
            self.cache_audio_read_tokens + other.cache_audio_read_tokens,
        )

    def is_consistent(self) -> bool:
        """Subsets within their totals, nothing negative or absurd: what a price calculation can trust."""
        counts = (
            self.input_tokens,
            self.output_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.cache_write_1h_tokens,
            self.reasoning_tokens,
            self.input_audio_tokens,
            self.cache_audio_read_tokens,
            self.output_audio_tokens,
            self.web_searches,
        )
        return (
            0 <= min(counts)
            and max(counts) <= MAX_TOKENS
            and self.cache_read_tokens + self.cache_write_tokens + self.input_audio_tokens <= self.input_tokens
            and self.cache_write_1h_tokens <= self.cache_write_tokens
            and self.cache_audio_read_tokens <= self.cache_read_tokens
            and self.reasoning_tokens <= self.output_tokens
            and self.output_audio_tokens <= self.output_tokens
        )


def field(obj: Any, name: str) -> Any:
    """`obj.name` for SDK models (declared fields and kept extras) and `obj[name]` for dicts; None if absent.

    Pydantic models are read from their dicts: a failed attribute lookup raises and catches an
    AttributeError inside pydantic (~5 us), and provider extensions (DeepSeek's cache hits,
    Groq's `x_groq`) are absent from most responses.
    """
    if isinstance(obj, dict):
        return obj.get(name)
    extras = getattr(obj, "__pydantic_extra__", None)
    if extras is not None:
        found = obj.__dict__.get(name)
        return found if found is not None else extras.get(name)
    return getattr(obj, name, None)


_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


def fields_of(obj: Any) -> Mapping[str, Any]:
    """The fields of an SDK model or a dict, to read several of them at the cost of dict lookups.

    Empty for None and for anything that is neither (a string where an object was expected).
    """
    if isinstance(obj, dict):
        return obj
    values = getattr(obj, "__dict__", None)
    if values is None:
        return _NO_FIELDS
    extras = getattr(obj, "__pydantic_extra__", None)
    return {**values, **extras} if extras else values


def reports_any(values: Mapping[str, Any], *names: str) -> bool:
    """Whether a usage object's fields carry any of its totals: an unknown shape (a newer or foreign
    API, all fields None) is no usage, never a zero-token, $0 call."""
    return any(values.get(name) is not None for name in names)


def as_count(value: Any) -> int:
    """A token count: 0 when missing or None, MALFORMED when present but not an int-like."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return MALFORMED
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # a word, a list, NaN, infinity
        return MALFORMED


def count(obj: Any, name: str) -> int:
    """`as_count` of one field."""
    return as_count(field(obj, name))


def number(obj: Any, name: str) -> float | None:
    """An optional float (e.g. a provider-reported cost); None when absent or not a number."""
    value = field(obj, name)
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return result if math.isfinite(result) and result >= 0 else None
