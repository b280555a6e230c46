"""Cost telemetry for the anthropic SDK (Anthropic API, and Claude on Bedrock and Vertex AI).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_anthropic`, or by hand:

    from genai_cost.anthropic import AnthropicCostInstrumentor
    AnthropicCostInstrumentor().instrument()
"""

from genai_cost.anthropic.package import INSTRUMENTS, MODULES, SDK_MODULE
from genai_cost.instrumentation.instrumentor import SdkInstrumentor


class AnthropicCostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.anthropic.wrappers"


__all__ = ["AnthropicCostInstrumentor"]
