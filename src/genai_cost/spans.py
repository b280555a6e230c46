"""What goes on a call's span: the request's attributes at the start, the outcome's at the end."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from genai_cost import names
from genai_cost.endpoints import Endpoint
from genai_cost.outcome import Outcome
from genai_cost.pricing import Price, priced_tier
from genai_cost.usage import Usage

T = TypeVar("T")


def span_name(operation: str, model: str) -> str:
    return f"{operation} {model}" if model else operation


def call_attributes(operation: str, endpoint: Endpoint, request_model: str | None) -> dict[str, Any]:
    """What every signal of a call carries: the span, and the semconv histograms' points."""
    attributes: dict[str, Any] = {names.OPERATION_NAME: operation, names.PROVIDER_NAME: endpoint.provider.name}
    if request_model:
        attributes[names.REQUEST_MODEL] = request_model
    if endpoint.address:
        attributes[names.SERVER_ADDRESS] = endpoint.address
        if endpoint.port:
            attributes[names.SERVER_PORT] = endpoint.port
    return attributes


def request_attributes(operation: str, endpoint: Endpoint, request_model: str | None, stream: bool) -> dict[str, Any]:
    attributes = call_attributes(operation, endpoint, request_model)
    if stream:
        attributes[names.REQUEST_STREAM] = True
    return attributes


class PerEndpoint:
    """Values built once per key that holds an endpoint's id, bounded whatever model names a process
    sees. An entry is used only for the very endpoint it was built for: the id of a collected
    endpoint may be reused by a new one."""

    __slots__ = ("_entries",)
    LIMIT = 4096

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[Endpoint, Any]] = {}

    def get(self, key: tuple[Any, ...], endpoint: Endpoint) -> Any:
        """The value kept for `key` and this endpoint; None when there is none."""
        found = self._entries.get(key)
        return found[1] if found is not None and found[0] is endpoint else None

    def put(self, key: tuple[Any, ...], endpoint: Endpoint, value: T) -> T:
        if len(self._entries) > self.LIMIT:
            self._entries.clear()
        self._entries[key] = (endpoint, value)
        return value


_starts = PerEndpoint()  # (operation, id(endpoint), request model, stream) -> (span name, start attributes)


def request_start(
    operation: str, endpoint: Endpoint, request_model: str | None, stream: bool, attribution: Mapping[str, str] | None
) -> tuple[str, dict[str, Any]]:
    """A call's span name and start attributes, built once per (operation, endpoint, model, stream).

    The cached dict is handed to the tracer as is (the SDK copies it into the span) and never
    changed: a call with attribution gets a copy with it added (attribution keys cannot be the
    request's: they are reserved, see attribution.key_problem).
    """
    key = (operation, id(endpoint), request_model, stream)
    found = _starts.get(key, endpoint)
    if found is None:
        attributes = request_attributes(operation, endpoint, request_model, stream)
        found = _starts.put(key, endpoint, (span_name(operation, request_model or ""), attributes))
    if attribution:
        return found[0], {**found[1], **attribution}
    return found


def response_attributes(outcome: Outcome, response_model: str) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if response_model:
        attributes[names.RESPONSE_MODEL] = response_model
    if outcome.response_id:
        attributes[names.RESPONSE_ID] = outcome.response_id
    if outcome.finish_reasons:
        attributes[names.RESPONSE_FINISH_REASONS] = tuple(outcome.finish_reasons)
    return attributes


def usage_attributes(attributes: dict[str, Any], usage: Usage, price: Price, service_tier: str | None) -> None:
    """Tokens, and the cost with where it came from; or why there is none."""
    attributes[names.USAGE_INPUT_TOKENS] = usage.input_tokens
    attributes[names.USAGE_OUTPUT_TOKENS] = usage.output_tokens
    attributes[names.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
    attributes[names.USAGE_CACHE_WRITE_INPUT_TOKENS] = usage.cache_write_tokens
    attributes[names.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
    if usage.cache_write_1h_tokens:
        attributes[names.CACHE_WRITE_5M_TOKENS] = usage.cache_write_5m_tokens
        attributes[names.CACHE_WRITE_1H_TOKENS] = usage.cache_write_1h_tokens
    if price.cost is None:
        attributes[names.UNPRICED_REASON] = price.unpriced_reason or names.UNPRICED_UNKNOWN_MODEL
        return
    attributes[names.USAGE_COST] = price.cost
    attributes[names.CACHE_SAVINGS] = price.savings
    if price.source:
        attributes[names.COST_SOURCE] = price.source
    if price.entry:
        attributes[names.PRICE_ENTRY] = price.entry
    if priced_tier(service_tier):
        attributes[names.PRICE_TIER] = service_tier
