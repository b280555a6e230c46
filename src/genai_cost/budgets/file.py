"""The budgets file (GENAI_COST_BUDGETS_FILE): read, checked, and turned into `Budget`s.

    budgets:
      - scope: user.id        # global | service | model | any attribution key
        key: "*"              # one key, or "*" for every key without its own entry
        period: monthly       # daily (the last 24 h) | monthly (the calendar month, UTC)
        limit_usd: 5
        action: block         # warn | block

YAML or JSON, parsed by the price file's line-keeping parsers so that every problem names its line.
A file with any problem is not used at all: `BudgetFileError` lists every problem found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from genai_cost.attribution import key_problem
from genai_cost.budgets.errors import usd
from genai_cost.price_file.parse import LocatedList, LocatedMap, parse_document
from genai_cost.price_file.schema import PriceFileError, Problem

GLOBAL, SERVICE, MODEL = "global", "service", "model"
FIXED_SCOPES = (GLOBAL, SERVICE, MODEL)
PERIODS = ("daily", "monthly")
ACTIONS = ("warn", "block")
ANY_KEY = "*"
_ENTRY_KEYS = frozenset(("scope", "key", "period", "limit_usd", "action", "comment"))
_TOP_KEYS = frozenset(("budgets", "version"))


class BudgetFileError(PriceFileError):
    """A budgets file that cannot be used; `problems` lists every (line, message) found."""


@dataclass(frozen=True, slots=True)
class Budget:
    scope: str  # global, service, model, or an attribution key such as tenant.id
    key: str  # the key's value it applies to, or "*": every value without a budget of its own
    period: str  # daily | monthly
    limit_usd: float
    action: str  # warn | block
    line: int = 0

    def describe(self) -> str:
        who = self.scope if self.scope == GLOBAL else f"{self.scope}={self.key}"
        return f"{who} {self.period} {usd(self.limit_usd)} ({self.action})"


def load(path: str) -> list[Budget]:
    """The budgets of the file at `path`; BudgetFileError naming every problem and its line."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BudgetFileError(path, [Problem(None, f"cannot read the file: {error}")]) from None
    return parse(text, path)


def parse(text: str, path: str) -> list[Budget]:
    try:
        document = parse_document(text, path)
    except PriceFileError as error:  # the shared parsers report in the price file's terms
        raise BudgetFileError(path, error.problems) from None
    problems: list[Problem] = []
    budgets = _budgets(document, problems)
    _find_duplicates(budgets, problems)
    if problems:
        raise BudgetFileError(path, problems)
    return budgets


def _budgets(document: Any, problems: list[Problem]) -> list[Budget]:
    if not isinstance(document, LocatedMap) or not isinstance(document.get("budgets"), LocatedList):
        line = getattr(document, "line", None) or None
        problems.append(Problem(line, "expected a mapping with a 'budgets' list"))
        return []
    for key in document:
        if key not in _TOP_KEYS:
            problems.append(Problem(document.line_of(key), f"unknown key {key!r}; expected 'budgets'"))
    items: LocatedList = document["budgets"]
    if not items:
        problems.append(Problem(document.line_of("budgets"), "'budgets' is empty"))
    budgets = []
    for item, line in zip(items, items.item_lines, strict=True):
        budget = _budget(item, line, problems)
        if budget is not None:
            budgets.append(budget)
    return budgets


def _budget(item: Any, line: int, problems: list[Problem]) -> Budget | None:
    if not isinstance(item, LocatedMap):
        problems.append(Problem(line, "each budget is a mapping of scope, key, period, limit_usd and action"))
        return None
    found = len(problems)
    for key in item:
        if key not in _ENTRY_KEYS:
            problems.append(
                Problem(item.line_of(key), f"unknown key {key!r}; expected {', '.join(sorted(_ENTRY_KEYS))}")
            )
    scope = _scope(item, problems)
    key = item.get("key", ANY_KEY)
    if not isinstance(key, str | int) or isinstance(key, bool) or key == "":
        problems.append(Problem(item.line_of("key"), f"key: expected a value or '*', got {key!r}"))
    elif scope == GLOBAL and key != ANY_KEY:
        problems.append(Problem(item.line_of("key"), "a global budget has no key: leave it out or write '*'"))
    period = _choice(item, "period", PERIODS, problems)
    action = _choice(item, "action", ACTIONS, problems)
    limit = item.get("limit_usd")
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit) or limit <= 0:
        problems.append(Problem(item.line_of("limit_usd"), f"limit_usd: expected a number of USD > 0, got {limit!r}"))
    if len(problems) > found:
        return None
    return Budget(scope, str(key), period, float(limit), action, item.line)


def _scope(item: LocatedMap, problems: list[Problem]) -> str:
    scope = item.get("scope")
    if not isinstance(scope, str):
        problems.append(
            Problem(item.line_of("scope"), f"scope: expected {', '.join(FIXED_SCOPES)} or an attribution key")
        )
        return ""
    if scope not in FIXED_SCOPES:
        problem = key_problem(scope)
        if problem:
            problems.append(Problem(item.line_of("scope"), f"scope {scope!r}: {problem}"))
    return scope


def _choice(item: LocatedMap, name: str, choices: tuple[str, ...], problems: list[Problem]) -> str:
    value = item.get(name)
    if value not in choices:
        problems.append(Problem(item.line_of(name), f"{name}: expected {' or '.join(choices)}, got {value!r}"))
        return ""
    return value


def _find_duplicates(budgets: list[Budget], problems: list[Problem]) -> None:
    seen: dict[tuple[str, str, str, str], int] = {}
    for budget in budgets:
        identity = (budget.scope, budget.key, budget.period, budget.action)
        if identity in seen:
            problems.append(Problem(budget.line, f"the same budget as on line {seen[identity]}"))
        else:
            seen[identity] = budget.line
