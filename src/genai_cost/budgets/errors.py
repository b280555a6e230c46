"""`genai_cost.BudgetExceeded`: what a call refused by a `block` budget raises into the app."""

from __future__ import annotations

from typing import Any

from genai_cost import names


class BudgetExceeded(Exception):  # noqa: N818 - the public name the app catches
    """A `block` budget refused this call before its request was sent: nothing was billed.

    `scope`, `key`, `period`, `limit_usd` and `spend_usd` say which budget and how much its key has
    spent (this process's and, with Prometheus, the fleet's). `spend_unknown` is true when the call
    was refused because the fleet's spend could not be read (GENAI_COST_BUDGETS_UNREADABLE=closed).
    """

    def __init__(
        self, scope: str, key: str, period: str, limit_usd: float, spend_usd: float, spend_unknown: bool = False
    ) -> None:
        self.scope = scope
        self.key = key
        self.period = period
        self.limit_usd = limit_usd
        self.spend_usd = spend_usd
        self.spend_unknown = spend_unknown
        who = scope if scope == "global" else f"{scope}={key!r}"
        if spend_unknown:
            why = f"the fleet's spend cannot be read (this process: {usd(spend_usd)})"
        else:
            why = f"spent {usd(spend_usd)}"
        super().__init__(f"genai-cost budget {who} {period} {usd(limit_usd)} reached: {why}; the call was not sent")

    def span_attributes(self) -> dict[str, Any]:
        """What the refused call's span says about the budget."""
        return budget_attributes(self.scope, self.key, self.period, self.limit_usd, self.spend_usd, "block")


def usd(amount: float) -> str:
    """Dollars for a log line: cents from $1, significant digits below (a test budget of $0.0003)."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.4g}"


def budget_attributes(
    scope: str, key: str, period: str, limit_usd: float, spend_usd: float, action: str
) -> dict[str, Any]:
    return {
        names.BUDGET_SCOPE: scope,
        names.BUDGET_KEY: key,
        names.BUDGET_PERIOD: period,
        names.BUDGET_LIMIT: limit_usd,
        names.BUDGET_SPEND: spend_usd,
        names.BUDGET_ACTION: action,
    }
