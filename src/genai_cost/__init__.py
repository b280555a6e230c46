"""genai-cost: the USD cost and tokens of every LLM call, as OpenTelemetry spans and metrics."""

from genai_cost.attribution import attributes
from genai_cost.version import __version__

__all__ = ["__version__", "attributes"]
