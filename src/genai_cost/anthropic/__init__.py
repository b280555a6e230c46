"""Cost telemetry for the anthropic SDK (Anthropic API, and Claude on Bedrock and Vertex AI).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_anthropic`, or by hand:

    from genai_cost.anthropic import AnthropicCostInstrumentor
    AnthropicCostInstrumentor().instrument()
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

logger = logging.getLogger("genai_cost")

_INSTRUMENTS = ("anthropic >= 2.0.0",)
_SDK_TRACER = ("anthropic._base_client", "get_tracer")


class AnthropicCostInstrumentor(BaseInstrumentor):
    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        try:
            import wrapt

            from genai_cost.anthropic.sdk_spans import get_tracer_wrapper
            from genai_cost.anthropic.wrappers import PATCHES, make_wrapper
            from genai_cost.telemetry import get_telemetry
        except ImportError:  # the SDK is not installed: nothing to do, nothing to break
            logger.debug("genai-cost: anthropic is not installed; not instrumenting it")
            return
        telemetry = get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        for module, method, is_async in PATCHES:
            try:
                wrapt.wrap_function_wrapper(module, method, make_wrapper(telemetry, is_async))
            except (ImportError, AttributeError):  # an SDK version without this method
                logger.debug("genai-cost: anthropic has no %s.%s", module, method)
        try:
            wrapt.wrap_function_wrapper(*_SDK_TRACER, get_tracer_wrapper)
        except (ImportError, AttributeError):  # an SDK version without its own spans
            logger.debug("genai-cost: anthropic has no tracing of its own")

    def _uninstrument(self, **kwargs: Any) -> None:
        try:
            from genai_cost.anthropic.wrappers import PATCHES
        except ImportError:
            return
        for module, method, _is_async in PATCHES:
            class_name, attribute = method.split(".")
            try:
                unwrap(getattr(importlib.import_module(module), class_name), attribute)
            except (ImportError, AttributeError):
                continue
        try:
            unwrap(importlib.import_module(_SDK_TRACER[0]), _SDK_TRACER[1])
        except (ImportError, AttributeError):
            pass


__all__ = ["AnthropicCostInstrumentor"]
