"""The price book agrees with genai-prices itself, at per-call arithmetic cost (genai_cost.pricing.book)."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

import pytest
from genai_prices import Usage as PricesUsage
from genai_prices import calc_price

from genai_cost import names
from genai_cost.pricing import PriceBook
from genai_cost.providers import PROVIDERS, Provider
from genai_cost.usage import Usage

ANTHROPIC = Provider("anthropic", "anthropic")
M = 1_000_000

CASES = [
    # (provider, model, tier, our usage, the same usage in genai-prices terms)
    (
        PROVIDERS["openai"],
        "gpt-4o-mini",
        None,
        Usage(1149, 353, cache_read_tokens=1024),
        PricesUsage(input_tokens=1149, output_tokens=353, cache_read_tokens=1024),
    ),
    (
        PROVIDERS["openai"],
        "gpt-5",
        "flex",
        Usage(1000, 2000, reasoning_tokens=1500),
        PricesUsage(input_tokens=1000, output_tokens=2000, output_reasoning_tokens=1500),
    ),
    (PROVIDERS["openai"], "gpt-5", "priority", Usage(1000, 2000), PricesUsage(input_tokens=1000, output_tokens=2000)),
    (
        PROVIDERS["x_ai"],
        "grok-4-1-fast-reasoning",
        None,
        Usage(832, 2706, cache_read_tokens=152, reasoning_tokens=619),
        PricesUsage(input_tokens=832, output_tokens=2706, cache_read_tokens=152),
    ),
    (
        PROVIDERS["deepseek"],
        "deepseek-reasoner",
        None,
        Usage(563, 116, cache_read_tokens=512),
        PricesUsage(input_tokens=563, output_tokens=116, cache_read_tokens=512),
    ),
    (
        ANTHROPIC,
        "claude-sonnet-4-5",
        None,
        Usage(1532, 33, cache_read_tokens=1111, cache_write_tokens=418),
        PricesUsage(input_tokens=1532, output_tokens=33, cache_read_tokens=1111, cache_write_tokens=418),
    ),
    # above the 200k long-context cliff, with 5m and 1h cache writes
    (
        ANTHROPIC,
        "claude-sonnet-4-5",
        None,
        Usage(300_000, 900, cache_read_tokens=1000, cache_write_tokens=2000, cache_write_1h_tokens=500),
        PricesUsage(
            input_tokens=300_000,
            output_tokens=900,
            cache_read_tokens=1000,
            cache_write_tokens=2000,
            cache_write_5m_tokens=1500,
            cache_write_1h_tokens=500,
        ),
    ),
    (
        PROVIDERS["openai"],
        "gpt-4o-audio-preview",
        None,
        Usage(64, 9, input_audio_tokens=44),
        PricesUsage(input_tokens=64, output_tokens=9, input_audio_tokens=44),
    ),
    (
        PROVIDERS["openai"],
        "gpt-5",
        None,
        Usage(115886, 1720, cache_read_tokens=92160, web_searches=3),
        PricesUsage(input_tokens=115886, output_tokens=1720, cache_read_tokens=92160, web_searches=3),
    ),
]


@pytest.mark.parametrize(("provider", "model", "tier", "usage", "reference"), CASES)
def test_matches_genai_prices(
    provider: Provider, model: str, tier: str | None, usage: Usage, reference: PricesUsage
) -> None:
    book = PriceBook()
    context = {"service_tier": tier} if tier else None
    expected = calc_price(reference, model, provider_id=provider.prices_id, price_context=context).total_price
    for _ in range(2):  # resolved on the first call, arithmetic on the second
        price = book.price(provider, model, usage, tier)
        assert math.isclose(price.cost, float(expected), rel_tol=1e-9)
        assert price.source == "bundled"


def test_tier_changes_the_price() -> None:
    book = PriceBook()
    usage = Usage(1_000_000, 1_000_000)
    standard = book.price(PROVIDERS["openai"], "gpt-5", usage).cost
    assert math.isclose(standard, 11.25, rel_tol=1e-9)
    assert math.isclose(book.price(PROVIDERS["openai"], "gpt-5", usage, "flex").cost, 5.625, rel_tol=1e-9)
    assert math.isclose(book.price(PROVIDERS["openai"], "gpt-5", usage, "priority").cost, 22.5, rel_tol=1e-9)


def test_cache_savings() -> None:
    price = PriceBook().price(PROVIDERS["openai"], "gpt-4o-mini", Usage(2000, 10, cache_read_tokens=1024))
    assert math.isclose(price.savings, 1024 * (0.15 - 0.075) / 1e6, rel_tol=1e-9)


def test_response_model_falls_back_to_request_model() -> None:
    price = PriceBook().price(
        PROVIDERS["openai"], "gpt-4o-mini-custom-snapshot-x", Usage(100, 10), request_model="gpt-4o-mini"
    )
    assert math.isclose(price.cost, (100 * 0.15 + 10 * 0.6) / 1e6, rel_tol=1e-9)


def test_unknown_model_is_unpriced_and_logged_once_per_provider_and_model(caplog: pytest.LogCaptureFixture) -> None:
    model = "acme-internal-7b-logged-once"
    for book in (PriceBook(), PriceBook()):  # once per process, whichever price book meets it
        for _ in range(3):
            price = book.price(PROVIDERS["openai"], model, Usage(10, 10))
            assert price.cost is None and price.unpriced_reason == names.UNPRICED_UNKNOWN_MODEL
    PriceBook().price(PROVIDERS["groq"], model, Usage(10, 10))  # another provider: its own warning
    warnings = [r.getMessage() for r in caplog.records if model in r.getMessage()]
    assert warnings == [
        f"genai-cost: no price for model {model!r} of provider {p}; its calls are counted as unpriced "
        "(add it to GENAI_COST_PRICES_FILE)"
        for p in ("openai", "groq")
    ]


def test_the_warm_up_warns_of_nothing_the_call_does_not(caplog: pytest.LogCaptureFixture) -> None:
    """The first call's warm-up resolves the requested model quietly: a model without a price gets
    the one warning of the call itself, about the model the call is priced as."""
    asked, served = "acme-warm-up-13b", "acme-warm-up-13b-0601"
    book = PriceBook()
    book.warm(PROVIDERS["openai"], asked)
    warm_ups = [t for t in threading.enumerate() if t.name == "genai-cost-prices"]
    assert warm_ups
    for warm_up in warm_ups:
        warm_up.join(10)
        assert not warm_up.is_alive()
    price = book.price(PROVIDERS["openai"], served, Usage(10, 10), request_model=asked)
    assert price.cost is None and price.unpriced_reason == names.UNPRICED_UNKNOWN_MODEL
    warnings = [r.getMessage() for r in caplog.records if "acme-warm-up" in r.getMessage()]
    assert warnings == [
        f"genai-cost: no price for model {served!r} of provider openai; its calls are counted as unpriced "
        "(add it to GENAI_COST_PRICES_FILE)"
    ]


def test_local_and_invalid_usage() -> None:
    book = PriceBook()
    assert book.price(PROVIDERS["vllm"], "llama", Usage(10, 10)).unpriced_reason == names.UNPRICED_LOCAL_MODEL
    bad = Usage(10, 10, cache_read_tokens=50)  # cache reads cannot exceed input
    assert book.price(PROVIDERS["openai"], "gpt-4o-mini", bad).unpriced_reason == names.UNPRICED_INVALID_USAGE


def test_provider_cost_wins_and_unknown_model_with_provider_cost_is_priced() -> None:
    book = PriceBook()
    usage = Usage(100, 10, provider_cost=0.5)
    assert book.price(PROVIDERS["openrouter"], "anthropic/claude-sonnet-4.6", usage).cost == 0.5
    unknown = book.price(PROVIDERS["openrouter"], "acme/new-model", usage)
    assert unknown.cost == 0.5 and unknown.source == "provider"


def test_resolved_price_is_arithmetic_only() -> None:
    book = PriceBook()
    usage = Usage(1149, 353, cache_read_tokens=1024)
    book.price(PROVIDERS["openai"], "gpt-4o-mini", usage)
    started = time.perf_counter()
    for _ in range(10_000):
        book.price(PROVIDERS["openai"], "gpt-4o-mini", usage)
    per_call = (time.perf_counter() - started) / 10_000
    assert per_call < 20e-6  # a genai-prices calculation alone takes ~50-110 us


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_cached_entry_stays_correct_across_a_dated_price_change() -> None:
    # o3: $10 / $40 until 2025-06-09, $2 / $8 from 2025-06-10 (openai.com/api/pricing, price cut of 2025-06-10)
    book = PriceBook()
    usage = Usage(1000, 1000)
    o3 = PROVIDERS["openai"]
    costs = [
        book.price(o3, "o3", usage, at=epoch(moment)).cost
        for moment in ("2025-06-09T23:59:00", "2025-06-10T00:01:00", "2025-06-09T23:59:59", "2025-06-10T12:00:00")
    ]
    old, new = (1000 * 10 + 1000 * 40) / 1e6, (1000 * 2 + 1000 * 8) / 1e6
    assert costs == [pytest.approx(old, rel=1e-9), pytest.approx(new, rel=1e-9)] * 2


def test_telemetry_prices_a_call_by_its_start_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_cost.endpoints import Endpoint
    from genai_cost.handler import Telemetry
    from genai_cost.outcome import Outcome

    seen: list[float | None] = []
    tele = Telemetry()
    real_price = tele.prices.price

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(args[5] if len(args) > 5 else kwargs.get("at"))  # type: ignore[arg-type]
        return real_price(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tele.prices, "price", spy)
    started = time.time()
    call = tele.start("chat", Endpoint(PROVIDERS["openai"], None, None), "gpt-4o-mini")
    time.sleep(0.2)
    call.finish(Outcome(Usage(10, 10), "gpt-4o-mini"))
    assert len(seen) == 1 and seen[0] is not None and abs(seen[0] - started) < 0.1  # not the end time


def test_benchmark_runs_and_reports_both_numbers() -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[2] / "benchmarks" / "pricing.py"
    result = subprocess.run(
        [sys.executable, str(script), "--calls", "500"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| ") and "us" not in line]
    assert len(rows) == 3
    for _, hot, lookup, cold in rows:
        assert 0 < float(hot) < float(lookup) and float(cold) > 0
