"""Cost telemetry for AWS Bedrock through boto3 (`bedrock-runtime`: Converse, ConverseStream,
InvokeModel, InvokeModelWithResponseStream).

Loaded by `opentelemetry-instrument` through the entry point `genai_cost_bedrock`, or by hand:

    from genai_cost.bedrock import BedrockCostInstrumentor
    BedrockCostInstrumentor().instrument()
"""

from genai_cost.bedrock.package import INSTRUMENTS, MODULES, SDK_MODULE
from genai_cost.instrumentation.instrumentor import SdkInstrumentor


class BedrockCostInstrumentor(SdkInstrumentor):
    instruments = INSTRUMENTS
    sdk_module = SDK_MODULE
    modules = MODULES
    wrappers_module = "genai_cost.bedrock.wrappers"


__all__ = ["BedrockCostInstrumentor"]
