"""The price book with an override file: its prices, aliases, discounts, dates (genai_cost.pricing.overrides)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from genai_cost import config
from genai_cost.pricing import PriceBook
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage
from tests.conftest import set_env
from tests.unit.test_price_file import GOOD_JSON, GOOD_YAML, at, parse

M = 1_000_000


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
