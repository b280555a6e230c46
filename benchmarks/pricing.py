"""Per-call pricing cost: genai-cost's resolved price entry against a genai-prices lookup, same run.

    python benchmarks/pricing.py [--calls N]

`hot path` is `PriceBook.price(...)` once the (provider, model, tier) entry is resolved: what every
instrumented call pays. `genai-prices calc_price` is the library's own lookup and calculation per call,
what pricing without the cache would cost. `first call` is a cold resolution (lookup plus the probe
calculations that derive the per-token rates), paid once per (provider, model, tier) and UTC day.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from importlib.metadata import version

from genai_prices import Usage as PricesUsage
from genai_prices import calc_price

from genai_cost.price_file import parse as parse_price_file
from genai_cost.pricing import PriceBook
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS
from genai_cost.usage import Usage

DISCOUNT = "discounts:\n  - {name: commit, provider: openai, multiplier: 0.8}\n"
CASES = [
    # (label, provider, model, our usage, the same usage for genai-prices, price file)
    (
        "openai gpt-4o-mini, cached",
        "openai",
        "gpt-4o-mini",
        Usage(1149, 353, cache_read_tokens=1024),
        PricesUsage(input_tokens=1149, output_tokens=353, cache_read_tokens=1024),
        None,
    ),
    (
        "anthropic claude-sonnet-4-5, 5m+1h writes, >200k",
        "anthropic",
        "claude-sonnet-4-5",
        Usage(300_000, 900, cache_read_tokens=1000, cache_write_tokens=2000, cache_write_1h_tokens=500),
        PricesUsage(
            input_tokens=300_000,
            output_tokens=900,
            cache_read_tokens=1000,
            cache_write_tokens=2000,
            cache_write_5m_tokens=1500,
            cache_write_1h_tokens=500,
        ),
        None,
    ),
    (
        "openai gpt-4o-mini, with a discount override",
        "openai",
        "gpt-4o-mini",
        Usage(1149, 353, cache_read_tokens=1024),
        PricesUsage(input_tokens=1149, output_tokens=353, cache_read_tokens=1024),
        DISCOUNT,
    ),
]


def per_call(fn: Callable[[], object], calls: int, repeats: int = 5) -> float:
    """Best-of-`repeats` CPU microseconds per call.

    CPU time of this thread, not wall time: on a shared machine the wall clock also counts the time
    other processes hold the CPU. The best run is the least disturbed one.
    """
    timings = []
    for _ in range(repeats):
        started = time.thread_time()
        for _ in range(calls):
            fn()
        timings.append((time.thread_time() - started) / calls * 1e6)
    return min(timings)


def measure(case: tuple, calls: int) -> tuple[float, float, float]:  # type: ignore[type-arg]
    _, provider_name, model, usage, prices_usage, price_file = case
    provider = PROVIDERS[provider_name]
    at = time.time()

    def fresh_book() -> PriceBook:
        return PriceBook(parse_price_file(price_file, "prices.yaml", KNOWN_PROVIDERS) if price_file else None)

    book = fresh_book()
    hot_call = partial(book.price, provider, model, usage, None, model, at)
    hot_call()  # resolve once
    hot = per_call(hot_call, calls)
    lookup = per_call(partial(calc_price, prices_usage, model, provider_id=provider.prices_id), max(calls // 100, 10))

    def first_call() -> None:
        fresh_book().price(provider, model, usage, None, model, at)

    cold = statistics.median(per_call(first_call, 1, repeats=1) for _ in range(max(calls // 2000, 5)))
    return hot, lookup, cold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000, help="calls per timed run of the hot path")
    calls = parser.parse_args().calls
    print(
        f"# Python {platform.python_version()}, genai-prices {version('genai-prices')}, "
        f"{platform.machine()}, CPU time per call, best of 5 runs"
    )
    print("| case | hot path (us/call) | genai-prices calc_price (us/call) | first call (us) |")
    print("|---|---|---|---|")
    for case in CASES:
        hot, lookup, cold = measure(case, calls)
        print(f"| {case[0]} | {hot:.2f} | {lookup:.1f} | {cold:.0f} |")


if __name__ == "__main__":
    main()
