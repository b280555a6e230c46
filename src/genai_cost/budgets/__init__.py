"""The opt-in budget guard: budgets from GENAI_COST_BUDGETS_FILE, enforced in the app before a call is sent.

- file.py: the budgets file, read and checked (every problem names its line);
- periods.py: the calendar month and the last 24 hours;
- spend.py: this process's spend per key; fleet.py: the fleet's, read from Prometheus in the background;
- groups.py: the budgets of one (scope, period) and the keys over them;
- guard.py: the check at a call's start and the record at its end; errors.py: BudgetExceeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genai_cost.budgets.errors import BudgetExceeded

if TYPE_CHECKING:
    from genai_cost.budgets.guard import Guard, guard_from_config

__all__ = ["BudgetExceeded", "Guard", "guard_from_config"]


def __getattr__(name: str) -> Any:
    # The guard and its file, fleet and spend modules load only for a process that has a budgets
    # file: every other process's first call does not pay for their import.
    if name in ("Guard", "guard_from_config"):
        from genai_cost.budgets import guard

        return getattr(guard, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
