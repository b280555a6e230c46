"""The price override file: schema, line-numbered validation, matching (genai_cost.price_file)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from genai_cost import price_file as price_files
from genai_cost.price_file import PriceFile, PriceFileError
from genai_cost.price_file.match import boundaries, find_model
from genai_cost.providers import KNOWN_PROVIDERS

GOOD_YAML = """\
# our prices
models:
  - name: llama-on-prem
    provider: [vllm, ollama]
    match: llama-3.3-70b
    prices: {input: 0, output: 0}
  - name: prod-deployment
    provider: azure.ai.openai
    match: [prod-gpt4o]
    alias: gpt-4o
  - name: acme
    regex: "acme-[0-9]+"
    tier: batch
    prices: {input: 1, output: 2}
discounts:
  - name: openai-commit
    provider: openai
    multiplier: 0.75
    from: 2026-01-01
"""
GOOD_JSON = """\
{
  "models": [
    {"name": "llama-on-prem", "provider": "vllm", "match": "llama-3.3-70b",
     "prices": {"input": 0.5, "output": 1}}
  ]
}
"""


def parse(text: str, name: str = "prices.yaml") -> PriceFile:
    return price_files.parse(text, name, KNOWN_PROVIDERS)


def problems(text: str, name: str = "prices.yaml") -> list[str]:
    with pytest.raises(PriceFileError) as caught:
        parse(text, name)
    return [p.format(name) for p in caught.value.problems]


def at(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


# --- loading and validation --------------------------------------------------------------------


def test_yaml_and_json_load_the_same_schema() -> None:
    from_yaml = parse(GOOD_YAML)
    assert [m.rule.name for m in from_yaml.models] == ["llama-on-prem", "prod-deployment", "acme"]
    assert from_yaml.models[0].rule.providers == {"vllm", "ollama"}
    assert from_yaml.models[1].alias == "gpt-4o" and from_yaml.models[1].prices is None
    assert from_yaml.discounts[0].multiplier == 0.75 and from_yaml.discounts[0].rule.start == at("2026-01-01")
    from_json = parse(GOOD_JSON, "prices.json")
    assert str(from_json.models[0].prices["input_mtok"]) == "0.5"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "models:\n  - name: a\n    match: b\n    prices: {input: abc, output: 1}\n",
            "prices.yaml:4: models[0] (a): prices.input: expected a number >= 0 (USD per million tokens), got 'abc'",
        ),
        (
            "models:\n  - name: a\n    match: b\n    prices:\n      input: 1\n      output: -2\n",
            "prices.yaml:6: models[0] (a): prices.output: expected a number >= 0 (USD per million tokens), got -2",
        ),
        (
            "models:\n  - name: a\n    match: b\n    prices:\n      input: 1\n      chached: 2\n      output: 1\n",
            "prices.yaml:6: models[0] (a): prices: unknown key 'chached'; expected one of: input, cached, "
            "cache_write_5m, cache_write_1h, output, reasoning, input_audio, output_audio",
        ),
        (
            "models:\n  - name: a\n    match: b\n    prices: {input: 1}\n",
            "prices.yaml:4: models[0] (a): prices.output is required (write 0 for a free model)",
        ),
        (
            "models:\n  - name: a\n    provider: vlm\n    match: b\n    prices: {input: 1, output: 1}\n",
            "prices.yaml:3: models[0] (a): provider: unknown provider 'vlm'; known: "
            + ", ".join(sorted(KNOWN_PROVIDERS)),
        ),
        (
            "models:\n  - name: a\n    regex: 'gpt-(4'\n    prices: {input: 1, output: 1}\n",
            "prices.yaml:3: models[0] (a): regex: invalid regular expression: "
            "missing ), unterminated subpattern at position 4",
        ),
        (
            "models:\n  - name: a\n    match: b\n    prices: {input: 1, output: 1}\n    alias: gpt-4o\n",
            "prices.yaml:2: models[0] (a): give exactly one of `prices` or `alias`",
        ),
        (
            "models:\n  - name: a\n    prices: {input: 1, output: 1}\n",
            "prices.yaml:2: models[0] (a): give `match` (exact model names) or `regex`",
        ),
        (
            "models:\n  - name: a\n    match: b\n    from: soon\n    prices: {input: 1, output: 1}\n",
            "prices.yaml:4: models[0] (a): from: expected a date (2026-01-31) or a date-time "
            "(2026-01-31T12:00:00Z), got 'soon'",
        ),
        (
            "models:\n  - name: a\n    match: b\n    from: 2026-02-01\n    until: 2026-01-01\n"
            "    prices: {input: 1, output: 1}\n",
            "prices.yaml:5: models[0] (a): until must be after from",
        ),
        (
            "models:\n  - name: a\n    match: b\n    prices: {input: 1, output: 1, cache_write_1h: 2}\n",
            "prices.yaml:4: models[0] (a): prices.cache_write_1h needs prices.cache_write_5m",
        ),
        (
            "discounts:\n  - name: d\n    provider: openai\n    multiplier: -1\n",
            "prices.yaml:4: discounts[0] (d): multiplier: expected a number between 0 and 10, got -1",
        ),
        ("discounts:\n  - name: d\n    provider: openai\n", "prices.yaml:2: discounts[0] (d): multiplier is required"),
        ("modles: []\n", "prices.yaml:1: unknown key 'modles'; expected one of: models, discounts, version"),
        ("models:\n  - name: a\n   match: b\n", "prices.yaml:3: invalid YAML:"),
        ("- just a list\n", "prices.yaml:1: expected a mapping with `models` and/or `discounts`"),
    ],
)
def test_each_problem_names_its_line(text: str, expected: str) -> None:
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = (
        "models:\n"
        "  - name: a\n    match: b\n    prices: {input: x, output: 1}\n"
        "  - name: a\n    match: c\n    prices: {input: 1, output: 1}\n"
        "discounts:\n  - name: d\n    multiplier: 11\n"
    )
    assert problems(text) == [
        "prices.yaml:4: models[0] (a): prices.input: expected a number >= 0 (USD per million tokens), got 'x'",
        "prices.yaml:5: models[1]: name 'a' is already used on line 2",
        "prices.yaml:10: discounts[0] (d): multiplier: expected a number between 0 and 10, got 11",
    ]


def test_json_problems_name_their_line() -> None:
    bad_value = (
        '{\n  "models": [\n    {"name": "a", "match": "b",\n     "prices": {"input": 1, "output": "x"}}\n  ]\n}\n'
    )
    assert problems(bad_value, "p.json") == [
        "p.json:4: models[0] (a): prices.output: expected a number >= 0 (USD per million tokens), got 'x'"
    ]
    syntax = '{\n  "models": [\n    {"name": "a",}\n  ]\n}\n'
    [problem] = problems(syntax, "p.json")
    assert problem.startswith("p.json:3: invalid JSON: Expecting property name enclosed in double quotes")
    duplicate = '{"models": [],\n "models": []}'
    assert problems(duplicate, "p.json") == ["p.json:2: duplicate key 'models'"]


def test_missing_file_and_empty_file() -> None:
    with pytest.raises(PriceFileError) as caught:
        price_files.load("/nonexistent/prices.yaml")
    assert str(caught.value) == "/nonexistent/prices.yaml: cannot read the file: No such file or directory"
    assert problems("models: []\n") == ["prices.yaml:1: no `models` and no `discounts`: the file changes nothing"]


# --- matching ----------------------------------------------------------------------------------


def test_matching_exact_before_regex_then_file_order_with_scopes() -> None:
    price_file = parse(
        "models:\n"
        "  - {name: any-acme, regex: 'acme-.*', prices: {input: 1, output: 1}}\n"
        "  - {name: acme-7-groq, provider: groq, match: ACME-7, prices: {input: 2, output: 2}}\n"
        "  - {name: acme-7, match: acme-7, prices: {input: 3, output: 3}}\n"
        "  - {name: acme-7-batch, match: acme-7, tier: batch, prices: {input: 4, output: 4}}\n"
    )
    now = at("2026-11-01")

    def found(provider: str, model: str, tier: str | None = None) -> str | None:
        hit = find_model(price_file, provider, model, tier, now)
        return hit.rule.name if hit else None

    assert found("groq", "acme-7") == "acme-7-groq"  # exact, provider-scoped, case-insensitive
    assert found("openai", "acme-7") == "acme-7"  # the groq entry does not apply to openai
    assert found("openai", "acme-7", "batch") == "acme-7"  # first in file order that applies
    assert found("openai", "acme-8") == "any-acme"
    assert found("openai", "xacme-8") is None  # regexes match the whole name


def test_dates_and_boundaries() -> None:
    price_file = parse(
        "models:\n"
        "  - {name: h1, match: m, from: 2026-01-01, until: '2026-07-01T00:00:00Z', prices: {input: 1, output: 1}}\n"
        "  - {name: h2, match: m, from: 2026-07-01, prices: {input: 2, output: 2}}\n"
    )
    assert find_model(price_file, "openai", "m", None, at("2025-12-31T23:59:59")) is None
    assert find_model(price_file, "openai", "m", None, at("2026-01-01")).rule.name == "h1"  # type: ignore[union-attr]
    assert find_model(price_file, "openai", "m", None, at("2026-06-30T23:59:59")).rule.name == "h1"  # type: ignore[union-attr]
    assert find_model(price_file, "openai", "m", None, at("2026-07-01")).rule.name == "h2"  # type: ignore[union-attr]
    assert boundaries(price_file) == [at("2026-01-01"), at("2026-07-01")]


def test_the_documented_example_is_a_valid_file() -> None:
    page = (Path(__file__).parents[2] / "docs" / "tokens-and-pricing.md").read_text()
    section = page[page.index("## The override file") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    price_file = parse(example)
    names = [m.rule.name for m in price_file.models]
    assert names == ["llama-on-prem", "prod-deployment", "acme-chat", "gpt-4o-contract"]
    assert [d.rule.name for d in price_file.discounts] == ["azure-commit", "gpt-5-negotiated"]
