"""The metric instruments genai-cost creates, and the recording of its two semconv histograms.

`gen_ai.client.operation.duration` and `gen_ai.client.token.usage` are recorded synchronously (what
the OTel SDK aggregates best); the cost, token, savings and unpriced counters are observable (see
totals.py). Histogram attribute dicts are cached per label set: the hot path builds none and
looks up one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from genai_cost import names
from genai_cost.endpoints import Endpoint
from genai_cost.spans import PerEndpoint, call_attributes
from genai_cost.totals import Observer

Callback = Callable[[CallbackOptions], Iterable[Observation]]

_INPUT = (names.TOKEN_TYPE, names.TOKEN_INPUT)
_OUTPUT = (names.TOKEN_TYPE, names.TOKEN_OUTPUT)


class Instruments:
    """One meter's instruments: two histograms recorded per call, the rest observed at collection."""

    def __init__(self, meter: Meter, observer: Observer, prices_file: Callback, overflow: Callback) -> None:
        # (operation, id(endpoint), request model, response model, error type) ->
        # (duration attributes, input-token attributes, output-token attributes)
        self._attributes = PerEndpoint()
        self.duration = meter.create_histogram(
            names.METRIC_OPERATION_DURATION,
            unit=names.UNIT_SECONDS,
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(names.DURATION_BUCKETS),
        )
        self.token_usage = meter.create_histogram(
            names.METRIC_TOKEN_USAGE,
            unit=names.UNIT_TOKEN,
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(names.TOKEN_USAGE_BUCKETS),
        )
        counters = (
            (names.METRIC_COST, observer.cost, names.UNIT_USD,
             "USD cost of GenAI calls, from the tokens used and the model's price."),
            (names.METRIC_COST_SAVINGS, observer.savings, names.UNIT_USD,
             "USD saved by prompt-cache reads against the uncached input price."),
            (names.METRIC_TOKENS, observer.tokens, names.UNIT_TOKEN,
             "Tokens used by GenAI calls, by gen_ai.token.type."),
            (names.METRIC_UNPRICED, observer.unpriced, names.UNIT_CALL,
             "GenAI calls that could not be priced, by reason."),
            (names.METRIC_ATTRIBUTION_OVERFLOW, overflow, names.UNIT_CALL,
             "GenAI calls whose attribution label value was counted as _other (label past its cap)."),
        )  # fmt: skip
        for name, callback, unit, description in counters:
            meter.create_observable_counter(name, [callback], unit=unit, description=description)
        meter.create_observable_gauge(
            names.METRIC_PRICES_FILE_ERRORS,
            [prices_file],
            unit=names.UNIT_ERROR,
            description="Problems in the price override file: 0 while in use; more: rejected, bundled prices apply.",
        )

    def record(
        self, seconds: float, tokens: tuple[int, int] | None, operation: str, endpoint: Endpoint, request_model: str,
        response_model: str, error_type: str | None = None,
    ) -> None:  # fmt: skip
        """A finished call's duration, and its (input, output) tokens when it reported usage."""
        key = (operation, id(endpoint), request_model, response_model, error_type)
        found = self._attributes.get(key, endpoint)
        if found is None:
            found = self._attributes.put(key, endpoint, _point_attributes(key, endpoint))
        self.duration.record(seconds, found[0])
        if tokens is not None:
            self.token_usage.record(tokens[0], found[1])
            self.token_usage.record(tokens[1], found[2])


def _point_attributes(key: tuple[Any, ...], endpoint: Endpoint) -> tuple[dict[str, Any], ...]:
    """The attributes of a call's duration point and of its input and output token points."""
    operation, _, request_model, response_model, error_type = key
    attributes = call_attributes(operation, endpoint, request_model)
    if response_model:
        attributes[names.RESPONSE_MODEL] = response_model
    duration = {**attributes, names.ERROR_TYPE: error_type} if error_type else attributes
    return duration, {**attributes, _INPUT[0]: _INPUT[1]}, {**attributes, _OUTPUT[0]: _OUTPUT[1]}
