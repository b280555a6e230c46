"""Cost telemetry for the google-genai SDK: Gemini Developer API (`gcp.gemini`) and Vertex AI
(`gcp.vertex_ai`), sync and async (`client.aio`).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_google_genai`, or by hand:

    from genai_cost.google_genai import GoogleGenAICostInstrumentor
    GoogleGenAICostInstrumentor().instrument()
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

logger = logging.getLogger("genai_cost")

# 1.0 is the first release with both the public methods and the per-request `_generate_content*`
# methods wrapped here (tested with 3.4).
_INSTRUMENTS = ("google-genai >= 1.0.0",)


class GoogleGenAICostInstrumentor(BaseInstrumentor):
    def instrumentation_dependencies(self) -> Collection[str]:
        return _INSTRUMENTS

    def _instrument(self, **kwargs: Any) -> None:
        try:
            import wrapt

            from genai_cost.google_genai.wrappers import MODULE, PUBLIC_PATCHES, REQUEST_PATCHES
            from genai_cost.telemetry import get_telemetry
        except ImportError:  # the SDK is not installed: nothing to do, nothing to break
            logger.debug("genai-cost: google-genai is not installed; not instrumenting it")
            return
        telemetry = get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        patches = [(m, factory(telemetry)) for m, factory in PUBLIC_PATCHES] + list(REQUEST_PATCHES)
        for method, wrapper in patches:
            try:
                wrapt.wrap_function_wrapper(MODULE, method, wrapper)
            except (ImportError, AttributeError):  # an SDK version without this method
                logger.debug("genai-cost: google-genai has no %s.%s", MODULE, method)

    def _uninstrument(self, **kwargs: Any) -> None:
        try:
            from genai_cost.google_genai.wrappers import MODULE, PUBLIC_PATCHES, REQUEST_PATCHES

            module = importlib.import_module(MODULE)
        except ImportError:
            return
        for method in [m for m, _ in PUBLIC_PATCHES] + [m for m, _ in REQUEST_PATCHES]:
            class_name, attribute = method.split(".")
            try:
                unwrap(getattr(module, class_name), attribute)
            except AttributeError:
                continue


__all__ = ["GoogleGenAICostInstrumentor"]
