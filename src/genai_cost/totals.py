"""The counters' values, summed in-process and reported at collection time.

The cost, savings, token and unpriced counters only ever add, so each call adds its figures to a
row under a lock and the OTel SDK reads the rows through observable-counter callbacks: exact under
threads, and nearly free on the request path. Label dicts are built once per label set, at
collection time, never per call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence

from opentelemetry.metrics import CallbackOptions, Observation

from genai_cost import names
from genai_cost.pricing import Price
from genai_cost.usage import Usage

logger = logging.getLogger("genai_cost")

# Counter labels: (operation, provider, request model, response model, attribution label values).
LabelKey = tuple[str, str, str, str, tuple[str, ...]]

TOKEN_TYPES = (
    names.TOKEN_INPUT,
    names.TOKEN_OUTPUT,
    names.TOKEN_CACHE_READ,
    names.TOKEN_CACHE_WRITE,
    names.TOKEN_REASONING,
)

# Distinct label sets the counters keep. With five token types per set, the tokens counter stays
# under the OTel SDK's default cardinality limit (2,000 series per metric), past which the SDK
# would merge series into an overflow point; and an app sending ever-new model names cannot grow
# memory or Prometheus without bound. Later label sets are counted under names.OVERFLOW_MODEL.
MAX_LABEL_SETS = 300

# Row layout: [cost, savings, input, output, cache_read, cache_write, reasoning, priced calls]
_COST, _SAVINGS, _FIRST_TOKEN, _PRICED = 0, 1, 2, 7


class Totals:
    """Cumulative counter values per label set, added to under a lock, read at collection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sums: dict[LabelKey, list[float]] = {}
        self.unpriced: dict[tuple[LabelKey, str], int] = {}
        self._keys: set[LabelKey] = set()
        self._overflowed = False

    def _bounded(self, key: LabelKey) -> LabelKey:
        """`key`, or its overflow label set once MAX_LABEL_SETS distinct ones exist (under the lock)."""
        if key in self._keys:
            return key
        if len(self._keys) < MAX_LABEL_SETS:
            self._keys.add(key)
            return key
        if not self._overflowed:
            self._overflowed = True
            logger.warning(
                "genai-cost: more than %d label sets (models); further ones are counted as %r",
                MAX_LABEL_SETS,
                names.OVERFLOW_MODEL,
            )
        return (*key[:2], *(names.OVERFLOW_MODEL,) * (len(key) - 2))  # type: ignore[return-value]

    def add(self, key: LabelKey, usage: Usage, price: Price) -> None:
        with self._lock:
            key = self._bounded(key)
            row = self.sums.get(key)
            if row is None:
                row = self.sums[key] = [0.0, 0.0, 0, 0, 0, 0, 0, 0]
            if price.cost is not None:
                row[_COST] += price.cost
                row[_PRICED] += 1
            row[_SAVINGS] += price.savings
            row[2] += usage.input_tokens
            row[3] += usage.output_tokens
            row[4] += usage.cache_read_tokens
            row[5] += usage.cache_write_tokens
            row[6] += usage.reasoning_tokens
            if price.cost is None:
                self._add_unpriced(key, price.unpriced_reason or names.UNPRICED_UNKNOWN_MODEL)

    def add_unpriced(self, key: LabelKey, reason: str) -> None:
        with self._lock:
            self._add_unpriced(self._bounded(key), reason)

    def _add_unpriced(self, key: LabelKey, reason: str) -> None:
        self.unpriced[(key, reason)] = self.unpriced.get((key, reason), 0) + 1

    def snapshot(self) -> tuple[list[tuple[LabelKey, list[float]]], list[tuple[tuple[LabelKey, str], int]]]:
        with self._lock:
            return [(k, list(v)) for k, v in self.sums.items()], list(self.unpriced.items())


def _labels(key: LabelKey, attribution_keys: Sequence[str]) -> dict[str, str]:
    operation, provider, request_model, response_model, values = key
    labels = {
        names.OPERATION_NAME: operation,
        names.PROVIDER_NAME: provider,
        names.REQUEST_MODEL: request_model,
        names.RESPONSE_MODEL: response_model,
    }
    for name, value in zip(attribution_keys, values, strict=False):
        if value:  # no value: no label, as Prometheus reads an empty one
            labels[name] = value
    return labels


class Observer:
    """The observable counters' callbacks: the totals as observations, label dicts cached per key."""

    def __init__(self, totals: Totals, attribution_keys: Callable[[], Sequence[str]]) -> None:
        self.totals = totals
        self._attribution_keys = attribution_keys  # read at the first collection, like the config
        self._label_cache: dict[LabelKey, dict[str, str]] = {}

    def _labels(self, key: LabelKey) -> dict[str, str]:
        labels = self._label_cache.get(key)
        if labels is None:
            labels = self._label_cache[key] = _labels(key, self._attribution_keys())
        return labels

    def cost(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        # A model never priced has no cost series: a $0 line would read as "free".
        return [Observation(row[_COST], self._labels(key)) for key, row in sums if row[_PRICED]]

    def savings(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        return [Observation(row[_SAVINGS], self._labels(key)) for key, row in sums if row[_PRICED]]

    def tokens(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        return [
            Observation(row[_FIRST_TOKEN + i], {**self._labels(key), names.TOKEN_TYPE: token_type})
            for key, row in sums
            for i, token_type in enumerate(TOKEN_TYPES)
        ]

    def unpriced(self, options: CallbackOptions) -> Iterable[Observation]:
        _, unpriced = self.totals.snapshot()
        return [Observation(n, {**self._labels(key), names.UNPRICED_REASON: reason}) for (key, reason), n in unpriced]
