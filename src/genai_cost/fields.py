"""Reading SDK objects and plain dicts in extractors: fields, token counts, optional numbers.

Extractors work on the SDKs' pydantic models and on dicts of the same shape (recorded responses),
so every read goes through these helpers. A value that is present but no count never becomes 0:
it becomes `MALFORMED`, which `Usage.is_consistent` rejects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from genai_cost.usage import MALFORMED


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
    if value.__class__ is int:  # what SDK models and JSON hold: the common case first (bool is not int)
        return value  # type: ignore[no-any-return]
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


def field_of(obj: Any, snake: str, camel: str) -> Any:
    """A field an SDK model names in snake case and a REST dict may name in camel case (Gemini)."""
    value = field(obj, snake)
    return field(obj, camel) if value is None and isinstance(obj, dict) else value
