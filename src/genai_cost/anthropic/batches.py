"""Each succeeded request of a message batch is one call, priced at the batch rate, recorded as the
app reads the results."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import wrapt
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from genai_cost import endpoints, names
from genai_cost.anthropic import extract
from genai_cost.handler import Telemetry

logger = logging.getLogger("genai_cost")


def results(decoder: Any, telemetry: Telemetry, client: Any, endpoint_of: Callable[[Any], endpoints.Endpoint]) -> Any:
    """The SDK's batch results `decoder`, proxied to record each result as the app reads it. Where the
    client sent the batch (`endpoint_of(client)`) is read here, so a failure to read it leaves the
    results as they are."""
    try:
        proxy = _AsyncBatchResults if hasattr(decoder, "__anext__") else _BatchResults
        return proxy(decoder, telemetry, endpoint_of(client))
    except Exception:
        logger.debug("genai-cost: could not read batch results", exc_info=True)
        return decoder


def _record_batch_result(telemetry: Telemetry, endpoint: endpoints.Endpoint, item: Any) -> None:
    """One span per succeeded batch request, as the app reads the result (the call itself ran earlier)."""
    try:
        outcome = extract.batch_result_outcome(item)
        if outcome is not None and is_instrumentation_enabled():
            telemetry.start(names.OP_CHAT, endpoint, outcome.response_model).finish(outcome)
    except Exception:
        logger.debug("genai-cost: could not record a batch result", exc_info=True)


class _BatchResults(wrapt.ObjectProxy):
    def __init__(self, wrapped: Any, telemetry: Telemetry, endpoint: endpoints.Endpoint) -> None:
        super().__init__(wrapped)
        self._self_telemetry = telemetry
        self._self_endpoint = endpoint

    def __iter__(self) -> _BatchResults:
        return self

    def __next__(self) -> Any:
        item = next(self.__wrapped__)
        _record_batch_result(self._self_telemetry, self._self_endpoint, item)
        return item


class _AsyncBatchResults(_BatchResults):
    def __aiter__(self) -> _AsyncBatchResults:
        return self

    async def __anext__(self) -> Any:
        item = await self.__wrapped__.__anext__()
        _record_batch_result(self._self_telemetry, self._self_endpoint, item)
        return item
