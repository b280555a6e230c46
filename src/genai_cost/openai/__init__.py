"""Cost telemetry for the openai SDK (and OpenAI-compatible providers reached through it).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_openai`, or by hand:

    from genai_cost.openai import OpenAICostInstrumentor
    OpenAICostInstrumentor().instrument()
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

logger = logging.getLogger("genai_cost")

_INSTRUMENTS = ("openai >= 1.40.0",)


class OpenAICostInstrumentor(BaseInstrumentor):
    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        try:
            import wrapt

            from genai_cost.openai.wrappers import PATCHES, make_wrapper
            from genai_cost.telemetry import get_telemetry
        except ImportError:  # the SDK is not installed: nothing to do, nothing to break
            logger.debug("genai-cost: openai is not installed; not instrumenting it")
            return
        telemetry = get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        missing = []
        for module, method, api, is_async in PATCHES:
            try:
                wrapt.wrap_function_wrapper(module, method, make_wrapper(telemetry, api, is_async))
            except (ImportError, AttributeError):  # an SDK version without this method
                missing.append(f"{module}.{method}")
        if missing:  # one line for all of them: an older SDK is normal, not an error
            logger.info("genai-cost: this openai version has no %s; those calls are not measured", ", ".join(missing))

    def _uninstrument(self, **kwargs: Any) -> None:
        try:
            from genai_cost.openai.wrappers import PATCHES, forget_priced_responses
        except ImportError:
            return
        forget_priced_responses()
        for module, method, _api, _is_async in PATCHES:
            class_name, attribute = method.split(".")
            try:
                unwrap(getattr(importlib.import_module(module), class_name), attribute)
            except (ImportError, AttributeError):
                continue


__all__ = ["OpenAICostInstrumentor"]
