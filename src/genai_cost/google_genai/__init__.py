"""Cost telemetry for the google-genai SDK: Gemini Developer API (`gcp.gemini`) and Vertex AI
(`gcp.vertex_ai`), sync and async (`client.aio`).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_google_genai`, or by hand:

    from genai_cost.google_genai import GoogleGenAICostInstrumentor
    GoogleGenAICostInstrumentor().instrument()
"""

from genai_cost.google_genai.package import INSTRUMENTS, MODULES, SDK_MODULE
from genai_cost.instrumentation.instrumentor import SdkInstrumentor


class GoogleGenAICostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.google_genai.wrappers"


__all__ = ["GoogleGenAICostInstrumentor"]
