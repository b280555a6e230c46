"""Cost telemetry for the openai SDK (and OpenAI-compatible providers reached through it).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_openai`, or by hand:

    from genai_cost.openai import OpenAICostInstrumentor
    OpenAICostInstrumentor().instrument()
"""

from genai_cost.instrumentation.instrumentor import SdkInstrumentor
from genai_cost.openai.package import INSTRUMENTS, MODULES, SDK_MODULE


class OpenAICostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.openai.wrappers"


__all__ = ["OpenAICostInstrumentor"]
