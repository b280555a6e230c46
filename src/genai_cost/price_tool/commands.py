"""`genai-cost prices show`, `prices check` and `cost`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TextIO

from genai_cost import config
from genai_cost.price_file import PriceFile, PriceFileError
from genai_cost.price_file import load as load_price_file
from genai_cost.price_tool.arguments import Failure, UsageError, guess_provider, price_book, provider_named
from genai_cost.price_tool.explain import breakdown, describe, iso, per_million, per_unit_rates, usd
from genai_cost.pricing import PriceBook, PriceEntry
from genai_cost.pricing.bundled import price_data
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS, Provider
from genai_cost.usage import Usage


def _resolve(args: argparse.Namespace) -> tuple[Provider, PriceBook, PriceEntry, float]:
    provider = provider_named(args.provider) if args.provider else guess_provider(args.model)
    book = price_book(args.prices_file)
    at = args.at if args.at is not None else datetime.now(UTC).timestamp()
    entry = book.resolve(provider, args.model, args.tier, at)
    if entry.name is None:
        raise Failure(
            f"no price for model {args.model!r} of provider {provider.name}: its calls are unpriced "
            f"(add it to a price file, see {config.ENV_PRICES_FILE})"
        )
    return provider, book, entry, at


def show(args: argparse.Namespace, out: TextIO) -> int:
    provider, _, entry, at = _resolve(args)
    info = describe(entry)
    if args.json:
        json.dump({"provider": provider.name, "model": args.model, "tier": args.tier, "at": iso(at), **info}, out)
        out.write("\n")
        return 0
    since = f", in force since {info['since']}" if info["since"] else ""
    out.write(f"model     {args.model} (provider {provider.name}, tier {args.tier or 'standard'})\n")
    out.write(f"entry     {entry.name}\n")
    out.write(f"source    {entry.source}{_data_version(entry)}\n")
    out.write(f"date      prices at {iso(at)}{since}; the same from {info['valid_from']} until {info['valid_until']}\n")
    for note in entry.notes:
        out.write(f"note      {note}\n")
    out.write("\n")
    bands = info["bands"]
    width = max(len(b["band"]) for b in bands) + 2
    out.write(f"{'USD per million tokens':<24}" + "".join(f"{b['band']:>{width}}" for b in bands) + "\n")
    for unit in per_unit_rates(entry.rates_for(0)):
        label = "web search (per 1k)" if unit == "web search" else unit
        out.write(f"{label:<24}" + "".join(f"{b[unit]:>{width}.10g}" for b in bands) + "\n")
    return 0


def _data_version(entry: PriceEntry) -> str:
    if entry.source != "bundled":
        return ""
    from importlib.metadata import version

    return f" (genai-prices {version('genai-prices')})"


def check(args: argparse.Namespace, out: TextIO) -> int:
    try:
        price_file = load_price_file(args.file, KNOWN_PROVIDERS)
    except PriceFileError as error:
        for problem in error.problems:
            sys.stderr.write(problem.format(args.file) + "\n")
        sys.stderr.write(f"{args.file}: {len(error.problems)} problem(s); the app would use the bundled prices\n")
        return 1
    problems = _check_aliases(price_file)
    for problem in problems:
        sys.stderr.write(problem + "\n")
    if problems:
        return 1
    out.write(f"{args.file}: OK, {len(price_file.models)} model entries, {len(price_file.discounts)} discounts\n")
    return 0


def _check_aliases(price_file: PriceFile) -> list[str]:
    """Aliases must name a bundled model of the provider they price for (where that is known)."""
    problems = []
    for entry in price_file.models:
        if entry.alias is None:
            continue
        targets = [entry.alias_provider] if entry.alias_provider else sorted(entry.rule.providers or ())
        for name in targets:
            prices_id = PROVIDERS[name].prices_id
            try:
                if prices_id is None:
                    raise LookupError
                price_data().find_provider_model(entry.alias, None, prices_id, None)
            except LookupError:
                problems.append(
                    f"{price_file.path}:{entry.rule.line}: {entry.rule.name}: alias {entry.alias!r} "
                    f"has no bundled price for provider {name}"
                )
    return problems


def cost(args: argparse.Namespace, out: TextIO) -> int:
    usage = Usage(
        input_tokens=args.input,
        output_tokens=args.output,
        cache_read_tokens=args.cached,
        cache_write_tokens=args.cache_write_5m + args.cache_write_1h,
        cache_write_1h_tokens=args.cache_write_1h,
        reasoning_tokens=args.reasoning,
        input_audio_tokens=args.input_audio,
        output_audio_tokens=args.output_audio,
        web_searches=args.web_searches,
    )
    _check_usage(usage)
    provider, book, entry, at = _resolve(args)
    price = book.price(provider, args.model, usage, args.tier, at=at)
    assert price.cost is not None  # _resolve found an entry and the usage is consistent
    lines = breakdown(usage, entry.rates_for(usage.input_tokens))
    if args.json:
        json.dump(
            {
                "provider": provider.name,
                "model": args.model,
                "tier": args.tier,
                "at": iso(at),
                "entry": price.entry,
                "source": price.source,
                "cost_usd": price.cost,
                "cache_savings_usd": price.savings,
                "lines": [{"kind": x.label, "count": x.tokens, "usd": x.tokens * x.rate} for x in lines],
            },
            out,
        )
        out.write("\n")
        return 0
    out.write(f"{args.model} (provider {provider.name}, tier {args.tier or 'standard'}, prices at {iso(at)})\n")
    out.write(f"entry {price.entry} ({price.source})\n\n")
    out.write(f"{'':<16}{'tokens':>12}{'USD/million':>14}{'USD':>18}\n")
    for line in lines:
        unit_rate = f"{line.rate * 1000:.10g}/1k" if line.label == "web search" else per_million(line.rate)
        out.write(f"{line.label:<16}{line.tokens:>12,}{unit_rate:>14}{usd(line.tokens * line.rate):>18}\n")
    out.write(f"{'total':<16}{'':>26}{usd(price.cost):>18}\n")
    if price.savings:
        out.write(f"{'cache savings':<16}{'':>26}{usd(price.savings):>18}\n")
    return 0


def _check_usage(usage: Usage) -> None:
    if usage.is_consistent():
        return
    if usage.cache_read_tokens + usage.cache_write_tokens + usage.input_audio_tokens > usage.input_tokens:
        raise UsageError(
            f"--cached ({usage.cache_read_tokens}) + cache writes ({usage.cache_write_tokens}) + --input-audio "
            f"({usage.input_audio_tokens}) cannot exceed --input ({usage.input_tokens}): --input counts all input "
            "tokens, cached and cache writes included"
        )
    raise UsageError(
        f"--reasoning ({usage.reasoning_tokens}) and --output-audio ({usage.output_audio_tokens}) cannot exceed "
        f"--output ({usage.output_tokens}): --output counts all output tokens, reasoning included"
    )


# --- parser --------------------------------------------------------------------------------------
