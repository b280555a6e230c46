"""Per-call cost of the budget guard with three budgets loaded (GENAI_COST_BUDGETS_FILE).

    python benchmarks/budget_guard.py [--calls N] [--check]

Three budgets: user.id monthly $5 (block), tenant.id daily $50 (warn), model monthly $1,000 (block).
`check` is what every call pays before its request is sent (`Guard.check`): no key over a budget,
then 1,000 other users over theirs. `begin` is the whole step the shared wrapper runs (`watch.begin`:
the guard's check and noting who hears of the call's end). `record` is what a finished call pays to
add its cost. `refused` is a call of a user over budget: the check that raises BudgetExceeded.
CPU time of this thread per call, best of 5 runs. `--check` exits 1 if `check` costs 2 us or more.
"""

from __future__ import annotations

import argparse
import platform
import sys

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.trace import INVALID_SPAN
from pricing import per_call  # the sibling benchmark's timing: best of 5 runs, CPU time

from genai_cost import watch
from genai_cost.budgets import BudgetExceeded, Guard
from genai_cost.budgets.file import parse
from genai_cost.call import Call
from genai_cost.endpoints import endpoint_for
from genai_cost.handler import Telemetry

BUDGETS = """\
budgets:
  - {scope: user.id, key: "*", period: monthly, limit_usd: 5, action: block}
  - {scope: tenant.id, key: "*", period: daily, limit_usd: 50, action: warn}
  - {scope: model, key: "*", period: monthly, limit_usd: 1000, action: block}
"""
LIMIT_US = 2.0


def refused(guard: Guard, call: Call) -> None:
    try:
        guard.check(call)
    except BudgetExceeded:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200_000, help="calls per timed run")
    parser.add_argument("--check", action="store_true", help=f"exit 1 if a check costs {LIMIT_US} us or more")
    args = parser.parse_args()
    meter_provider = MeterProvider()
    telemetry = Telemetry(meter_provider=meter_provider)
    guard = Guard(parse(BUDGETS, "budgets.yaml"), telemetry.meter, "checkout")
    telemetry._settings, telemetry.guard = telemetry.settings, guard
    endpoint = endpoint_for("https://api.openai.com/v1")

    def call_of(user: str, tenant: str = "acme", model: str = "gpt-4o-mini") -> Call:
        attribution = {"user.id": user, "tenant.id": tenant}
        return Call(telemetry, INVALID_SPAN, "chat", endpoint, model, (), False, attribution)

    alice = call_of("alice")
    rows: list[tuple[str, float]] = [("check, no key over a budget", per_call(lambda: guard.check(alice), args.calls))]
    for n in range(1000):  # other users over their budget: the check now looks alice up
        guard.record(call_of(f"user-{n}", f"tenant-{n % 10}", f"model-{n % 10}"), 6.0)
    check_us = per_call(lambda: guard.check(alice), args.calls)
    rows.append(("check, 1,000 other users over theirs", check_us))
    rows.append(("begin (check + who hears of the end)", per_call(lambda: watch.begin(alice), args.calls)))
    rows.append(("record a finished call's cost", per_call(lambda: guard.record(alice, 0.0001), args.calls // 10)))
    over = call_of("user-1", "tenant-1", "model-1")
    rows.append(("refused (raises BudgetExceeded)", per_call(lambda: refused(guard, over), args.calls // 10)))
    print(f"# Python {platform.python_version()}, {platform.machine()}, 3 budgets, CPU time per call, best of 5 runs")
    print("| step | us per call |\n|---|---:|")
    for label, us in rows:
        print(f"| {label} | {us:.2f} |")
    meter_provider.shutdown()
    if args.check and max(rows[0][1], check_us) >= LIMIT_US:
        print(f"the check costs {check_us:.2f} us: over {LIMIT_US} us", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
