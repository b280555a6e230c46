"""Cost telemetry for the mistralai SDK (chat complete and stream, sync and async, embeddings).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_mistral`, or by hand:

    from genai_cost.mistral import MistralCostInstrumentor
    MistralCostInstrumentor().instrument()
"""

from genai_cost.instrumentation.instrumentor import SdkInstrumentor
from genai_cost.mistral.package import INSTRUMENTS, MODULES, SDK_MODULE


class MistralCostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.mistral.wrappers"


__all__ = ["MistralCostInstrumentor"]
