"""The price table: every normalisation path priced as the providers publish it, to 1e-9 relative.

Cases live in tests/data/price_cases.yaml with their hand calculation and the source of each price.
"""

from __future__ import annotations

import ast
import operator
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from genai_cost.price_file import parse as parse_price_file
from genai_cost.pricing import PriceBook
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS
from genai_cost.usage import Usage

TABLE = yaml.safe_load((Path(__file__).parents[1] / "data" / "price_cases.yaml").read_text())
CASES = {case["id"]: case for case in TABLE["cases"]}
USAGE_FIELDS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cached": "cache_read_tokens",
    "reasoning": "reasoning_tokens",
    "input_audio": "input_audio_tokens",
    "web_searches": "web_searches",
    "provider_cost": "provider_cost",
}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def arithmetic(expression: str) -> float:
    """Evaluate a hand calculation: numbers, + - * / and parentheses only."""

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"not plain arithmetic: {ast.dump(node)}")

    return value(ast.parse(expression, mode="eval").body)


def usage_of(counts: dict[str, Any]) -> Usage:
    usage = Usage(**{USAGE_FIELDS[k]: v for k, v in counts.items() if k in USAGE_FIELDS})
    usage.cache_write_tokens = counts.get("cache_write_5m", 0) + counts.get("cache_write_1h", 0)
    usage.cache_write_1h_tokens = counts.get("cache_write_1h", 0)
    return usage


def epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    assert isinstance(value, date), value
    return datetime(value.year, value.month, value.day, 12, tzinfo=UTC).timestamp()  # midday: no edge


def book_for(case: dict[str, Any]) -> PriceBook:
    name = case.get("price_file")
    if name is None:
        return PriceBook()
    return PriceBook(parse_price_file(TABLE["price_files"][name], f"{name}.yaml", KNOWN_PROVIDERS))


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_price_case(case_id: str) -> None:
    case = CASES[case_id]
    book = book_for(case)
    at = epoch(case["at"]) if "at" in case else None
    usage = usage_of(case["usage"])
    assert usage.is_consistent(), "the case's usage must be possible"
    for _ in range(2):  # the first call resolves the entry, the second is the cached arithmetic
        price = book.price(
            PROVIDERS[case["provider"]], case["model"], usage, case.get("tier"), case.get("request_model"), at
        )
        if case["expected"] is None:
            assert price.cost is None
            assert price.unpriced_reason == case["unpriced"]
            assert price.source is None and price.entry is None
            continue
        expected = arithmetic(case["expected"])
        assert price.cost == pytest.approx(expected, rel=1e-9, abs=0 if expected else 1e-15)
        assert price.source == case.get("source", "bundled")
        if "entry" in case:
            assert price.entry == case["entry"]
        if "savings" in case:
            assert price.savings == pytest.approx(arithmetic(case["savings"]), rel=1e-9)


def test_table_covers_every_path() -> None:
    cases = TABLE["cases"]
    assert len(cases) >= 40
    assert all(case.get("cite") in TABLE["sources"] for case in cases if case["expected"] not in (None, "0.5"))
    counts = Counter(case["provider"] for case in cases)
    assert {"openai", "anthropic", "gcp.gemini", "x_ai", "azure.ai.openai"} <= set(counts)
    used = Counter()
    for case in cases:
        u = case["usage"]
        used["openai cached"] += case["provider"] == "openai" and "cached" in u
        used["anthropic 5m write"] += case["provider"] == "anthropic" and "cache_write_5m" in u
        used["anthropic 1h write"] += case["provider"] == "anthropic" and "cache_write_1h" in u
        used["anthropic read"] += case["provider"] == "anthropic" and "cached" in u
        used["gemini thoughts"] += case["provider"] == "gcp.gemini" and "reasoning" in u
        used["gemini cached content"] += case["provider"] == "gcp.gemini" and "cached" in u
        used["xai reasoning"] += case["provider"] == "x_ai" and "reasoning" in u
        used["long context"] += "long-context" in case["id"]
        used["batch"] += case.get("tier") == "batch"
        used["historic"] += "before" in case["id"] or "after" in case["id"]
        used["override"] += case.get("source") == "override"
        used["discount"] += "discount" in case["id"]
        used["alias"] += "alias" in case["id"]
        used["unknown"] += case.get("unpriced") == "unknown_model"
    assert all(used.values()), [path for path, n in used.items() if not n]
    assert len(used) == 14


def test_arithmetic_rejects_anything_else() -> None:
    assert arithmetic("(125*0.15 + 1024*0.075) / 1e6") == pytest.approx(95.55e-6, rel=1e-12)
    with pytest.raises(ValueError):
        arithmetic("__import__('os')")
