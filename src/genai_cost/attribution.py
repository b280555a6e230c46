"""Who spent it: attribution from OpenTelemetry baggage and from `genai_cost.attributes(...)`.

Two sources, merged at the start of every call:

- baggage entries whose keys are listed in `GENAI_COST_BAGGAGE_KEYS` (e.g. `tenant.id,feature`).
  Baggage arrives from upstream services through the standard propagators, so a web app under
  `opentelemetry-instrument` gets attribution with no code change;
- `genai_cost.attributes(...)`, a context manager and decorator (sync and async) for apps that set
  attribution themselves. Inner blocks override outer ones and baggage, key by key. The values
  live in the OpenTelemetry context, not in baggage, so they never travel to the LLM provider or
  any other downstream service.

Every attribution key goes on the span as is. Keys allow-listed in `GENAI_COST_METRIC_LABELS` also
become counter labels, capped per label by `LabelGuard`: Prometheus shows `tenant.id` as `tenant_id`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry import baggage
from opentelemetry import context as otel_context

from genai_cost import names

logger = logging.getLogger("genai_cost")

F = TypeVar("F", bound=Callable[..., Any])

_CONTEXT_KEY = otel_context.create_key("genai_cost.attributes")
# A W3C baggage key is an RFC 7230 token.
_KEY = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~]+")
# Counter labels: letters and digits in words joined by single `.`, `-` or `_`, so that every
# exporter (OTel's Prometheus exporter, the Collector's) maps them to the same Prometheus name.
_LABEL_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)*")
_MAX_KEY_LENGTH = 128

# A value set to None hides the key (from outer blocks and baggage) inside a block.
_Scope = Mapping[str, str | None]


def key_problem(key: str) -> str | None:
    """Why `key` cannot be an attribution key, or None."""
    if len(key) > _MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        return f"an attribution key is a baggage key (letters, digits, ._-) of at most {_MAX_KEY_LENGTH} characters"
    if key.startswith(names.RESERVED_KEY_PREFIXES) and key not in names.ATTRIBUTION_SEMCONV_KEYS:
        return f"keys starting with {', '.join(names.RESERVED_KEY_PREFIXES)} are reserved"
    return None


def prometheus_label(key: str) -> str:
    """The Prometheus label name of an allow-listed key: `tenant.id` -> `tenant_id`."""
    return key.replace(".", "_").replace("-", "_")


def label_problem(key: str) -> str | None:
    """Why `key` cannot be a counter label, or None (a bad key can still be a span attribute)."""
    if not _LABEL_KEY.fullmatch(key):
        return "a metric label is words of letters and digits joined by single '.', '-' or '_'"
    label = prometheus_label(key)
    if label in names.RESERVED_LABELS or label.startswith(names.RESERVED_LABEL_PREFIXES):
        return f"Prometheus label {label!r} is reserved"
    return None


# --- the public API ------------------------------------------------------------------------------
_warned: set[str] = set()


def _warn_once(key: str, why: str) -> None:
    if key not in _warned and len(_warned) < 1000:
        _warned.add(key)
        logger.warning("genai-cost: ignoring attribution %r: %s", key, why)


def _clean(labels: Mapping[Any, Any]) -> dict[str, str | None]:
    scope: dict[str, str | None] = {}
    for key, value in labels.items():
        problem = key_problem(key) if isinstance(key, str) else "keys are strings"
        if problem:
            _warn_once(repr(key), problem)
        elif value is None or isinstance(value, str):
            scope[key] = value
        elif isinstance(value, bool | int | float):
            scope[key] = str(value)
        else:
            _warn_once(key, f"values are str, int, float, bool or None, not {type(value).__name__}")
    return scope


class attributes:  # noqa: N801 - used like a function: `with genai_cost.attributes(tenant="acme"):`
    """Attribution for the GenAI calls made inside a block or a function.

        with genai_cost.attributes(tenant="acme", feature="search"):
            client.chat.completions.create(...)

        @genai_cost.attributes({"tenant.id": "acme"})
        async def answer(question): ...

    Keys that are not Python names go in a mapping. Blocks nest: inner values override outer
    ones and baggage, key by key; `None` hides a key inside the block. Values go on the span of
    every call in the block; keys listed in GENAI_COST_METRIC_LABELS also label the counters. Bad
    keys or values are logged once and ignored: this never raises into the app.
    """

    __slots__ = ("_scope", "_tokens")

    def __init__(self, labels: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        try:
            self._scope = _clean({**(labels or {}), **more})
        except Exception:  # e.g. a labels object that is not a mapping
            logger.warning("genai-cost: ignoring attributes(%s): expected a mapping", type(labels).__name__)
            self._scope = {}
        self._tokens: list[object] = []

    @classmethod
    def _of(cls, scope: dict[str, str | None]) -> attributes:
        """A fresh object for an already cleaned scope (one per call of a decorated function)."""
        fresh = cls.__new__(cls)
        fresh._scope, fresh._tokens = scope, []
        return fresh

    def __enter__(self) -> attributes:
        outer: _Scope = otel_context.get_value(_CONTEXT_KEY) or {}  # type: ignore[assignment]
        self._tokens.append(otel_context.attach(otel_context.set_value(_CONTEXT_KEY, {**outer, **self._scope})))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._tokens:
            otel_context.detach(self._tokens.pop())

    async def __aenter__(self) -> attributes:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__(*exc_info)

    def __call__(self, func: F) -> F:
        # Each call enters a scope of its own: one decorated function may run in many threads
        # and tasks at once.
        scope = self._scope
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with attributes._of(scope):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with attributes._of(scope):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _baggage_value(value: object) -> str:
    # OTel Python's W3C propagator keeps an entry's properties in its value ("acme;ttl=60"); the
    # value is what comes before them. (It has already percent-decoded the value, so a `;` the
    # sender encoded as %3B also ends it here.)
    if value is None:
        return ""
    return str(value).partition(";")[0].strip()


def current(baggage_keys: Sequence[str]) -> dict[str, str] | None:
    """The attribution of a call starting now: allow-listed baggage, then `attributes` scopes."""
    ctx = otel_context.get_current()
    scope: _Scope | None = ctx.get(_CONTEXT_KEY)  # type: ignore[assignment]
    found: dict[str, str] | None = None
    if baggage_keys:
        entries = baggage.get_all(ctx)
        if entries:
            found = {}
            for key in baggage_keys:
                value = _baggage_value(entries.get(key))
                if value:
                    found[key] = value
    if scope:
        found = {} if found is None else found
        for key, value in scope.items():
            if value is None:
                found.pop(key, None)
            else:
                found[key] = value
    return found or None


# --- the cardinality guard ------------------------------------------------------------------------
class LabelGuard:
    """Caps the distinct values of each counter label at `limit`; later new values become `_other`.

    Spans keep the real value. The first value past the cap of a label logs one warning naming the
    label; every call recorded as `_other` is counted (`genai_cost_attribution_overflow_total`). A
    value already admitted costs one set lookup, without the lock.
    """

    def __init__(self, keys: Sequence[str], limit: int) -> None:
        self.keys = tuple(keys)
        self.limit = limit
        self._seen: list[set[str]] = [set() for _ in self.keys]
        self._overflows = [0] * len(self.keys)
        self._lock = threading.Lock()
        self._none = ("",) * len(self.keys)

    def labels(self, attribution: Mapping[str, str] | None) -> tuple[str, ...]:
        """Counter label values, in `keys` order; "" where the call has no value."""
        if not attribution or not self.keys:
            return self._none
        return tuple(self._admit(i, attribution.get(key, "")) for i, key in enumerate(self.keys))

    def _admit(self, index: int, value: str) -> str:
        seen = self._seen[index]
        if not value or value in seen:
            return value
        with self._lock:
            if value in seen:
                return value
            if len(seen) < self.limit:
                seen.add(value)
                return value
            self._overflows[index] += 1
            first = self._overflows[index] == 1
        if first:
            logger.warning(
                "genai-cost: metric label %r reached %d distinct values; new values are counted as %r "
                "(spans keep the real value). Raise GENAI_COST_LABEL_LIMIT or drop the label from "
                "GENAI_COST_METRIC_LABELS.",
                prometheus_label(self.keys[index]),
                self.limit,
                names.OTHER_VALUE,
            )
        return names.OTHER_VALUE

    def overflows(self) -> list[tuple[str, int]]:
        """(key, calls recorded as `_other`) for every label that overflowed."""
        with self._lock:
            return [(key, n) for key, n in zip(self.keys, self._overflows, strict=True) if n]
