"""What the app asked to see around each call: its budgets checked at the start, and the cost handed
to its `track()` blocks and `on_call` functions at the end.

`begin` runs in the shared wrapper right after a call's span starts, before the SDK sends anything;
`Watch.ended` runs in `Call.finish`/`Call.fail` with the span's final attributes. A process that uses
none of these pays one ContextVar read and two attribute reads per call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from genai_cost import names
from genai_cost.budgets import BudgetExceeded
from genai_cost.callbacks import Listener, registry
from genai_cost.tracking import ACTIVE, TrackedUsage

if TYPE_CHECKING:
    from genai_cost.budgets.guard import Guard
    from genai_cost.call import Call

logger = logging.getLogger("genai_cost")


class Watch:
    """What one call reports to when it ends: the guard, the track() blocks active at its start, and
    the on_call functions."""

    __slots__ = ("guard", "trackers")

    def __init__(self, guard: Guard | None, trackers: tuple[TrackedUsage, ...]) -> None:
        self.guard = guard
        self.trackers = trackers

    def ended(self, call: Call, attributes: Mapping[str, Any], elapsed: float) -> None:
        """Never raises: the call's end must go on."""
        try:
            cost = attributes.get(names.USAGE_COST)
            if self.guard is not None and cost:
                self.guard.record(call, cost)
            listeners = registry.listeners
            if self.trackers or listeners:
                from genai_cost.records import CallRecord  # only for an app that asked to see calls

                record = CallRecord.of(call, attributes, elapsed)
                for usage in self.trackers:
                    usage.add(record)
                if listeners:
                    registry.notify(listeners, record)
        except Exception:
            logger.debug("genai-cost: could not report a call to the app", exc_info=True)


def begin(call: Call) -> None:
    """Check the call's budgets (BudgetExceeded ends the call and reaches the app) and note who wants
    to hear of its end."""
    guard = call.telemetry.guard
    trackers = ACTIVE.get()
    if guard is None and not trackers and not registry.listeners:
        return
    call.watch = Watch(guard, trackers)
    for usage in trackers:
        usage.started()
    if guard is None:
        return
    try:
        guard.check(call)
    except BudgetExceeded as refusal:
        call.span.set_attributes(refusal.span_attributes())
        call.end_failed(refusal)
        raise
    except Exception:
        logger.debug("genai-cost: could not check a call's budgets", exc_info=True)


__all__ = ["Listener", "Watch", "begin"]
