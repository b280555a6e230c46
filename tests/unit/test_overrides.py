"""The override file: schema, line-numbered validation, matching, and how the price book uses it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from genai_cost import config, overrides
from genai_cost.overrides import PriceFileError
from genai_cost.pricing import PriceBook
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS
from genai_cost.usage import Usage
from tests.conftest import set_env

M = 1_000_000
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


def parse(text: str, name: str = "prices.yaml") -> overrides.PriceFile:
    return overrides.parse(text, name, KNOWN_PROVIDERS)


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
        overrides.load("/nonexistent/prices.yaml")
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
        hit = price_file.find(provider, model, tier, now)
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
    assert price_file.find("openai", "m", None, at("2025-12-31T23:59:59")) is None
    assert price_file.find("openai", "m", None, at("2026-01-01")).rule.name == "h1"  # type: ignore[union-attr]
    assert price_file.find("openai", "m", None, at("2026-06-30T23:59:59")).rule.name == "h1"  # type: ignore[union-attr]
    assert price_file.find("openai", "m", None, at("2026-07-01")).rule.name == "h2"  # type: ignore[union-attr]
    assert price_file.boundaries() == [at("2026-01-01"), at("2026-07-01")]


# --- the price book with a file ----------------------------------------------------------------


def test_cached_entry_expires_at_an_override_boundary() -> None:
    entry = "  - {name: new, match: gpt-4o, from: 2026-07-01, prices: {input: 1, output: 1}}\n"
    book = PriceBook(parse("models:\n" + entry))
    usage = Usage(1000, 1000)
    openai = PROVIDERS["openai"]
    before = book.price(openai, "gpt-4o", usage, at=at("2026-06-30T23:59:00"))
    after = book.price(openai, "gpt-4o", usage, at=at("2026-07-01T00:01:00"))
    again_before = book.price(openai, "gpt-4o", usage, at=at("2026-06-30T23:59:30"))
    assert before.cost == pytest.approx((1000 * 2.5 + 1000 * 10) / M, rel=1e-9) and before.source == "bundled"
    assert after.cost == pytest.approx((1000 * 1 + 1000 * 1) / M, rel=1e-9) and after.source == "override"
    assert again_before.cost == before.cost


def test_override_prices_a_local_server() -> None:
    book = PriceBook(parse(GOOD_YAML))
    price = book.price(PROVIDERS["ollama"], "llama-3.3-70b", Usage(500, 500))
    assert price.cost == 0.0 and price.source == "override" and price.entry == "override:prices.yaml#llama-on-prem"
    assert book.price(PROVIDERS["lm_studio"], "llama-3.3-70b", Usage(5, 5)).unpriced_reason == "local_model"


def test_override_matches_the_request_model_too() -> None:
    # Azure answers with the underlying model; the deployment name is the request model.
    book = PriceBook(parse(GOOD_YAML))
    price = book.price(PROVIDERS["azure.ai.openai"], "gpt-4o-2024-11-20", Usage(1000, 100), request_model="prod-gpt4o")
    assert price.entry == "override:prices.yaml#prod-deployment -> azure/gpt-4o"
    assert price.cost == pytest.approx((1000 * 2.5 + 100 * 10) / M, rel=1e-9)


def test_discount_applies_to_provider_cost_never() -> None:
    book = PriceBook(parse(GOOD_YAML))
    usage = Usage(100, 10, provider_cost=0.25)
    price = book.price(PROVIDERS["openai"], "gpt-4o-mini", usage, at=at("2026-11-01"))
    assert price.cost == 0.25 and price.source == "provider"
    assert price.entry == "openai/gpt-4o-mini x0.75 (override:prices.yaml#openai-commit)"


def test_discount_scales_cache_savings() -> None:
    book = PriceBook(parse(GOOD_YAML))
    price = book.price(PROVIDERS["openai"], "gpt-4o-mini", Usage(2000, 0, cache_read_tokens=1000), at=at("2026-11-01"))
    assert price.savings == pytest.approx(0.75 * 1000 * (0.15 - 0.075) / M, rel=1e-9)


def test_alias_to_a_model_without_price_is_unpriced_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    book = PriceBook(parse("models:\n  - {name: bad-alias, provider: openai, match: foo, alias: no-such-model}\n"))
    price = book.price(PROVIDERS["openai"], "foo", Usage(10, 10))
    assert price.cost is None and price.unpriced_reason == "unknown_model"
    assert any("bad-alias" in r.getMessage() and "no-such-model" in r.getMessage() for r in caplog.records)


# --- GENAI_COST_PRICES_FILE ----------------------------------------------------------------------


def test_configured_file_is_loaded_on_first_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "prices.json"
    path.write_text(GOOD_JSON)
    book = PriceBook.from_config()  # created before the variable is set, as at instrumentation time
    set_env(monkeypatch, **{config.ENV_PRICES_FILE: str(path)})
    price = book.price(PROVIDERS["vllm"], "llama-3.3-70b", Usage(2 * M, M))
    assert price.cost == pytest.approx(2 * 0.5 + 1, rel=1e-9) and price.source == "override"
    assert book.file_state() == (str(path), 0)


def test_broken_file_one_error_line_bundled_prices_and_a_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  - name: a\n    match: gpt-4o-mini\n    prices: {input: 1, output: lots}\n")
    set_env(monkeypatch, **{config.ENV_PRICES_FILE: str(path)})
    book = PriceBook.from_config()
    with caplog.at_level(logging.WARNING, logger="genai_cost"):
        price = book.price(PROVIDERS["openai"], "gpt-4o-mini", Usage(1000, 1000))
        book.price(PROVIDERS["openai"], "gpt-4o", Usage(1000, 1000))
    assert price.source == "bundled" and price.cost == pytest.approx((1000 * 0.15 + 1000 * 0.6) / M, rel=1e-9)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        f"genai-cost: GENAI_COST_PRICES_FILE={path} is not used, calls are priced from the bundled prices: "
        f"{path}:4: models[0] (a): prices.output: expected a number >= 0 (USD per million tokens), got 'lots'"
    ]
    assert book.file_state() == (str(path), 1)


def test_no_file_configured_no_state() -> None:
    assert PriceBook.from_config().file_state() is None


def test_the_documented_example_is_a_valid_file() -> None:
    page = (Path(__file__).parents[2] / "docs" / "tokens-and-pricing.md").read_text()
    section = page[page.index("## The override file") :]
    example = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    price_file = parse(example)
    names = [m.rule.name for m in price_file.models]
    assert names == ["llama-on-prem", "prod-deployment", "acme-chat", "gpt-4o-contract"]
    assert [d.rule.name for d in price_file.discounts] == ["azure-commit", "gpt-5-negotiated"]
