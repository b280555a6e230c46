"""The budgets file: every problem named with its line; a file with any problem is not used."""

from __future__ import annotations

import pytest

from genai_cost.budgets.file import Budget, BudgetFileError, load, parse

GOOD = """\
budgets:
  - scope: user.id
    key: "*"
    period: monthly
    limit_usd: 5
    action: block
  - {scope: tenant.id, key: acme, period: daily, limit_usd: 2.5, action: warn}
  - {scope: global, period: monthly, limit_usd: 1000, action: block}
"""


def problems(text: str, path: str = "budgets.yaml") -> list[str]:
    with pytest.raises(BudgetFileError) as error:
        parse(text, path)
    return [problem.format(path) for problem in error.value.problems]


def test_a_good_file_gives_its_budgets_in_order() -> None:
    assert parse(GOOD, "budgets.yaml") == [
        Budget("user.id", "*", "monthly", 5.0, "block", 2),
        Budget("tenant.id", "acme", "daily", 2.5, "warn", 7),
        Budget("global", "*", "monthly", 1000.0, "block", 8),
    ]


def test_json_files_are_read_too() -> None:
    text = '{"budgets": [{"scope": "model", "key": "gpt-4.1", "period": "daily", "limit_usd": 3, "action": "warn"}]}'
    assert parse(text, "b.json") == [Budget("model", "gpt-4.1", "daily", 3.0, "warn", 1)]


def test_every_problem_names_its_line() -> None:
    text = """\
budgets:
  - scope: user.id
    period: weekly
    limit_usd: -1
    action: stop
  - {scope: global, key: acme, period: daily, limit_usd: 1, action: warn}
  - {scope: "gen_ai.bad", period: daily, limit_usd: 1, action: warn, colour: red}
"""
    assert problems(text) == [
        "budgets.yaml:3: period: expected daily or monthly, got 'weekly'",
        "budgets.yaml:5: action: expected warn or block, got 'stop'",
        "budgets.yaml:4: limit_usd: expected a number of USD > 0, got -1",
        "budgets.yaml:6: a global budget has no key: leave it out or write '*'",
        "budgets.yaml:7: unknown key 'colour'; expected action, comment, key, limit_usd, period, scope",
        "budgets.yaml:7: scope 'gen_ai.bad': keys starting with gen_ai., genai_cost., server., error., service., "
        "telemetry., otel. are reserved",
    ]


def test_the_same_budget_twice_is_a_problem() -> None:
    text = GOOD + "  - {scope: tenant.id, key: acme, period: daily, limit_usd: 9, action: warn}\n"
    assert problems(text) == ["budgets.yaml:9: the same budget as on line 7"]


def test_invalid_yaml_and_shapes() -> None:
    assert problems("budgets: [\n") == [
        "budgets.yaml:2: invalid YAML: expected the node content, but found '<stream end>'"
    ]
    assert problems("limits: []\n") == ["budgets.yaml:1: expected a mapping with a 'budgets' list"]
    assert problems("budgets: []\n") == ["budgets.yaml:1: 'budgets' is empty"]


def test_a_missing_file_is_a_problem(tmp_path) -> None:
    path = str(tmp_path / "none.yaml")
    with pytest.raises(BudgetFileError) as error:
        load(path)
    assert str(error.value).startswith(f"{path}: cannot read the file")
