"""The genai-prices adapter: candidate names, tier contexts, price windows (genai_cost.pricing.bundled)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from genai_cost import names
from genai_cost.pricing import PriceBook, bundled_candidates, tier_context
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage
from tests.unit.test_pricing_book import epoch

M = 1_000_000


def test_daily_price_window_edges_expire_the_entry() -> None:
    # deepseek-chat in the bundled data: $0.27 / $1.10 from 00:30 to 16:30 UTC, else $0.135 / $0.55
    book = PriceBook()
    usage = Usage(M, M)
    deepseek = PROVIDERS["deepseek"]
    day = book.price(deepseek, "deepseek-chat", usage, at=epoch("2026-11-01T16:29:59")).cost
    night = book.price(deepseek, "deepseek-chat", usage, at=epoch("2026-11-01T16:30:00")).cost
    morning = book.price(deepseek, "deepseek-chat", usage, at=epoch("2026-11-02T00:29:00")).cost
    assert day == pytest.approx(0.27 + 1.10, rel=1e-9)
    assert night == pytest.approx(0.135 + 0.55, rel=1e-9) and morning == night
    entry = book.resolve(deepseek, "deepseek-chat", at=epoch("2026-11-01T03:00:00"))
    assert (entry.valid_from, entry.valid_until) == (epoch("2026-11-01T00:30:00"), epoch("2026-11-01T16:30:00"))


@pytest.mark.parametrize(
    ("response_model", "request_model", "candidates"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini", ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"]),
        (None, "gpt-4o-mini", ["gpt-4o-mini"]),
        ("gpt-4o-mini", "gpt-4o-mini", ["gpt-4o-mini"]),
        ("anthropic/claude-4.6-sonnet-20260217", "anthropic/claude-sonnet-4.6",
         ["anthropic/claude-4.6-sonnet-20260217", "anthropic/claude-sonnet-4.6"]),
        # a router served another model: never priced as the requested one, least of all at $0
        ("x-ai/grok-4", "google/gemini-2.0-flash-exp:free", ["x-ai/grok-4"]),
        ("meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct:free",
         ["meta-llama/llama-3.3-70b-instruct"]),
        ("gpt-4o-2024-08-06", "my-azure-deployment", ["gpt-4o-2024-08-06"]),
    ],
)  # fmt: skip
def test_bundled_candidates(response_model: str | None, request_model: str, candidates: list[str]) -> None:
    assert bundled_candidates(response_model, request_model) == candidates


def test_router_response_from_another_model_is_not_priced_free() -> None:
    book = PriceBook()
    openrouter = PROVIDERS["openrouter"]
    free = book.price(openrouter, "google/gemini-2.0-flash-exp:free", Usage(1000, 100))
    assert free.cost == 0.0 and free.entry == "openrouter/google/gemini-2.0-flash-exp:free"  # asked and served
    other = book.price(openrouter, "x-ai/grok-4", Usage(1000, 100), request_model="google/gemini-2.0-flash-exp:free")
    assert other.cost is None and other.unpriced_reason == names.UNPRICED_UNKNOWN_MODEL
    with_cost = Usage(1000, 100, provider_cost=0.003)
    reported = book.price(openrouter, "x-ai/grok-4", with_cost, request_model="google/gemini-2.0-flash-exp:free")
    assert reported.cost == 0.003 and reported.source == "provider" and reported.entry is None


@pytest.mark.parametrize(
    ("tier", "context"),
    [
        (None, None),
        ("batch", {"processing": "batch"}),
        ("flex", {"service_tier": "flex"}),
        ("priority", {"service_tier": "priority"}),
        ("fast", {"service_tier": "fast", "speed": "fast"}),
    ],
)
def test_tier_strings(tier: str | None, context: dict[str, str] | None) -> None:
    assert tier_context(tier) == context


def test_tier_without_a_price_in_the_data_is_standard_and_says_so() -> None:
    entry = PriceBook().resolve(PROVIDERS["x_ai"], "grok-4", "flex", epoch("2026-11-01T12:00:00"))
    assert entry.name == "x-ai/grok-4-0709"
    assert entry.notes == ("no flex price in the data for this date: standard rates",)


_FIRST_LOAD = """
import gc, json, sys
from genai_cost.pricing.bundled import price_data
{disable}
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
data = price_data()
from genai_prices.data_snapshot import get_snapshot
print(json.dumps({{
    "collections": collections, "enabled": gc.isenabled(), "same": data is get_snapshot(),
    "providers": len(data.providers), "cached": price_data() is data,
}}))
"""


@pytest.mark.parametrize("app_disabled_the_collector", [False, True])
def test_the_price_data_loads_once_without_a_collection_and_the_collector_as_the_app_had_it(
    app_disabled_the_collector: bool,
) -> None:
    """Loading genai-prices' data builds thousands of kept objects: no collection runs meanwhile
    (each would walk the app's whole heap), and the collector is left enabled or disabled as it was."""
    code = _FIRST_LOAD.format(disable="gc.disable()" if app_disabled_the_collector else "")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(done.stdout)
    # At most the one young-generation collection the resumed collector begins with, never the
    # dozens (full ones among them) that the load triggers otherwise.
    assert loaded["collections"] in ([], [0])
    assert loaded["enabled"] is not app_disabled_the_collector
    assert loaded["same"] and loaded["cached"] and loaded["providers"] > 20
