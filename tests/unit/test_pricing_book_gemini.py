"""Gemini prices through the shared PriceBook: audio input and audio cache reads, long-context bands.

Prices per million tokens, literals from genai-prices 0.2.3 (provider "google"): gemini-2.5-flash
$0.30 in, $0.03 cache read, $1.00 audio in, $0.10 audio cache read, $2.50 out; gemini-2.5-pro
$1.25 / $0.125 / $10 up to 200,000 input tokens and $2.50 / $0.25 / $15 above (the whole request).
"""

from __future__ import annotations

import math

import pytest

from genai_cost.pricing import PriceBook
from genai_cost.providers import PROVIDERS
from genai_cost.usage import Usage

M = 1_000_000
GEMINI = PROVIDERS["gcp.gemini"]


def test_cached_audio_has_its_own_rate_and_savings() -> None:
    # 1000 input: 300 cached text, 200 cached audio, 100 uncached audio, 400 uncached text.
    usage = Usage(
        input_tokens=1000, output_tokens=50, cache_read_tokens=500, cache_audio_read_tokens=200, input_audio_tokens=100
    )
    price = PriceBook().price(GEMINI, "gemini-2.5-flash", usage)
    expected = (400 * 0.30 + 100 * 1.00 + 300 * 0.03 + 200 * 0.10 + 50 * 2.50) / M
    assert math.isclose(price.cost, expected, rel_tol=1e-9)
    assert math.isclose(price.savings, (300 * (0.30 - 0.03) + 200 * (1.00 - 0.10)) / M, rel_tol=1e-9)


def test_cached_audio_beyond_the_cache_reads_is_invalid() -> None:
    usage = Usage(input_tokens=100, cache_read_tokens=10, cache_audio_read_tokens=20)
    assert PriceBook().price(GEMINI, "gemini-2.5-flash", usage).unpriced_reason == "invalid_usage"


@pytest.mark.parametrize(
    ("input_tokens", "cached", "expected"),
    [
        (200_000, 100_000, (100_000 * 1.25 + 100_000 * 0.125 + 1000 * 10) / M),
        (200_001, 100_000, (100_001 * 2.50 + 100_000 * 0.25 + 1000 * 15) / M),
    ],
)
def test_gemini_25_pro_long_context_band(input_tokens: int, cached: int, expected: float) -> None:
    usage = Usage(input_tokens=input_tokens, output_tokens=1000, cache_read_tokens=cached)
    price = PriceBook().price(GEMINI, "gemini-2.5-pro", usage)
    assert math.isclose(price.cost, expected, rel_tol=1e-9)
    assert price.entry == "google/gemini-2.5-pro"
