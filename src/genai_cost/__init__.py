"""genai-cost: the USD cost and tokens of every LLM call, as OpenTelemetry spans and metrics."""

from genai_cost.attribution import attributes
from genai_cost.budgets import BudgetExceeded
from genai_cost.callbacks import on_call, remove_on_call
from genai_cost.records import CallRecord
from genai_cost.tracking import TrackedUsage, track
from genai_cost.version import __version__

__all__ = [
    "BudgetExceeded",
    "CallRecord",
    "TrackedUsage",
    "__version__",
    "attributes",
    "on_call",
    "remove_on_call",
    "track",
]
