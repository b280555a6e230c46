"""genai-cost: the USD cost and tokens of every LLM call, as OpenTelemetry spans and metrics."""

from typing import TYPE_CHECKING, Any

from genai_cost.attribution import attributes
from genai_cost.budgets import BudgetExceeded
from genai_cost.callbacks import on_call, remove_on_call
from genai_cost.tracking import TrackedUsage, track
from genai_cost.version import __version__

if TYPE_CHECKING:
    from genai_cost.records import CallRecord


def __getattr__(name: str) -> Any:
    # CallRecord is imported when the app asks for it: every process start imports this package
    # (each instrumentor lives in it), and only an app that reads records needs their class.
    if name == "CallRecord":
        from genai_cost.records import CallRecord

        return CallRecord
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
