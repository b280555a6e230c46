"""Cost telemetry for the LiteLLM library (`completion`, `acompletion`, `embedding`, `aembedding`).

Each call gets one span at the provider and model LiteLLM resolved. When LiteLLM calls an SDK
genai-cost also measures (the openai SDK), that call is part of LiteLLM's: one span, counted once.

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_litellm`, or by hand:

    from genai_cost.litellm import LiteLLMCostInstrumentor
    LiteLLMCostInstrumentor().instrument()
"""

from genai_cost.instrumentation.instrumentor import SdkInstrumentor
from genai_cost.litellm.package import INSTRUMENTS, MODULES, SDK_MODULE


class LiteLLMCostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.litellm.wrappers"


__all__ = ["LiteLLMCostInstrumentor"]
