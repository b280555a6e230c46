"""`genai-cost prices show|check` and `genai-cost cost`: every price explainable from the command line.

They use the same PriceBook as the instrumentation, so what they print is what a span would say:
the rates after overrides and discounts, the entry that matched, its source and the dates it holds
for. Errors go to stderr with exit code 1 (no price, a broken price file) or 2 (bad arguments).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from genai_cost import config
from genai_cost.price_file import PriceFile, PriceFileError, parse_instant
from genai_cost.price_file import load as load_price_file
from genai_cost.pricing import PriceBook, PriceEntry, Rates
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS, Provider
from genai_cost.usage import Usage

M = 1_000_000


class UsageError(Exception):
    """Bad input on the command line: exit code 2."""


class Failure(Exception):
    """A well-formed question with no good answer (no price, a broken price file): exit code 1."""


# --- argument types ------------------------------------------------------------------------------


def token_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def instant(text: str) -> float:
    try:
        return parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date (2026-01-31) or a date-time (2026-01-31T12:00:00Z), got {text!r}"
        ) from None


def provider_named(name: str) -> Provider:
    """A gen_ai.provider.name, or a genai-prices provider id (x-ai, google, ...)."""
    if name in PROVIDERS:
        return PROVIDERS[name]
    for provider in PROVIDERS.values():
        if provider.prices_id == name:
            return provider
    raise UsageError(f"unknown provider {name!r}; known: {', '.join(sorted(KNOWN_PROVIDERS))}")


def guess_provider(model: str) -> Provider:
    from genai_prices.data_snapshot import get_snapshot

    try:
        found, _ = get_snapshot().find_provider_model(model, None, None, None)
    except LookupError:
        raise UsageError(f"cannot tell the provider of model {model!r}; pass --provider") from None
    return provider_named(found.id)


def price_book(path: str | None) -> PriceBook:
    """The book the app would use: the --prices-file given, else GENAI_COST_PRICES_FILE."""
    path = path or config.get().prices_file
    if not path:
        return PriceBook()
    try:
        return PriceBook(load_price_file(path, KNOWN_PROVIDERS))
    except PriceFileError as error:
        problems = "\n".join(problem.format(path) for problem in error.problems)
        raise Failure(f"the price file is not usable (the app would use the bundled prices):\n{problems}") from None


# --- presentation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    label: str
    tokens: int
    rate: float  # USD per unit


def per_unit_rates(r: Rates) -> dict[str, float]:
    """USD per unit of each kind of token, from the marginal rates the hot path adds up."""
    return {
        "input": r.input,
        "cached input": r.input + r.cache_read,
        "cache write 5m": r.input + r.cache_write,
        "cache write 1h": r.input + r.cache_write + r.cache_write_1h,
        "input audio": r.input + r.input_audio,
        "output": r.output,
        "reasoning": r.output + r.reasoning,
        "output audio": r.output + r.output_audio,
        "web search": r.web_search,
    }


def breakdown(usage: Usage, r: Rates) -> list[Line]:
    """The cost as disjoint parts; their sum is exactly what Rates.cost computes."""
    rates = per_unit_rates(r)
    uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens - usage.input_audio_tokens
    plain_output = usage.output_tokens - usage.reasoning_tokens - usage.output_audio_tokens
    parts = [
        ("input", uncached),
        ("cached input", usage.cache_read_tokens),
        ("cache write 5m", usage.cache_write_5m_tokens),
        ("cache write 1h", usage.cache_write_1h_tokens),
        ("input audio", usage.input_audio_tokens),
        ("output", plain_output),
        ("reasoning", usage.reasoning_tokens),
        ("output audio", usage.output_audio_tokens),
        ("web search", usage.web_searches),
    ]
    return [Line(label, count, rates[label]) for label, count in parts if count]


def usd(value: float) -> str:
    return f"{value:.10f}".rstrip("0").rstrip(".") if value else "0"


def per_million(rate: float) -> str:
    return f"{rate * M:.10g}"


def iso(epoch: float) -> str:
    if epoch in (float("inf"), float("-inf")):
        return "open"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def band_labels(entry: PriceEntry) -> list[str]:
    bounds = entry.thresholds
    if not bounds:
        return ["all input sizes"]
    labels = [f"input <= {bounds[0]:,}"]
    labels += [f"input > {low:,}" for low in bounds]
    return labels


def describe(entry: PriceEntry) -> dict[str, Any]:
    bands = []
    for band, label in enumerate(band_labels(entry)):
        threshold = entry.thresholds[band - 1] + 1 if band else 0
        rates = per_unit_rates(entry.rates_for(threshold))
        bands.append({"band": label, **{k: v * (1000 if k == "web search" else M) for k, v in rates.items()}})
    return {
        "entry": entry.name,
        "source": entry.source,
        "since": entry.since,
        "valid_from": iso(entry.valid_from),
        "valid_until": iso(entry.valid_until),
        "notes": list(entry.notes),
        "bands": bands,
    }


# --- commands ------------------------------------------------------------------------------------


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
    from genai_prices.data_snapshot import get_snapshot

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
                get_snapshot().find_provider_model(entry.alias, None, prices_id, None)
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


def _common(parser: argparse.ArgumentParser, model_positional: bool) -> None:
    if model_positional:
        parser.add_argument("model", metavar="MODEL", help="model name as the API reports or accepts it")
    else:
        parser.add_argument("--model", required=True, metavar="M", help="model name as the API reports or accepts it")
    parser.add_argument(
        "--provider",
        metavar="P",
        required=not model_positional,
        help="gen_ai.provider.name (openai, anthropic, gcp.gemini, x_ai, azure.ai.openai, ...)"
        + ("; default: guessed from the model name" if model_positional else ""),
    )
    parser.add_argument("--tier", metavar="T", help="service tier: batch, flex, priority, fast (default: standard)")
    parser.add_argument("--at", type=instant, metavar="WHEN", help="prices in force at this UTC date or time")
    parser.add_argument(
        "--prices-file", metavar="FILE", help=f"price override file (default: ${config.ENV_PRICES_FILE}, if set)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_commands(commands: Any, run: Any) -> None:
    prices = commands.add_parser("prices", help="show a model's prices, or check a price override file")
    sub = prices.add_subparsers(dest="prices_command", required=True, metavar="COMMAND")
    show_parser = sub.add_parser(
        "show",
        help="the rates a model is priced at, where they come from and since when",
        description="Show the USD rates genai-cost prices MODEL at (after overrides and discounts), band by band.",
    )
    _common(show_parser, model_positional=True)
    show_parser.set_defaults(handler=run(show))
    check_parser = sub.add_parser(
        "check",
        help="validate a price override file",
        description="Validate a price override file; print every problem with its line. Exit code 1 on problems.",
    )
    check_parser.add_argument("file", metavar="FILE")
    check_parser.set_defaults(handler=run(check))

    cost_parser = commands.add_parser(
        "cost",
        help="the cost of one call, and its breakdown",
        description=(
            "Price one call from its token counts. --input counts ALL input tokens (cached and cache writes "
            "included, as OpenAI and Gemini report them; for Anthropic add its cache reads and writes to "
            "input_tokens); --output counts ALL output tokens (reasoning included)."
        ),
    )
    _common(cost_parser, model_positional=False)
    counts = (
        ("--input", "all input tokens"),
        ("--cached", "cache-read input tokens"),
        ("--cache-write-5m", "input tokens written to a 5-minute cache (or a cache without TTL)"),
        ("--cache-write-1h", "input tokens written to a 1-hour cache"),
        ("--input-audio", "audio input tokens"),
        ("--output", "all output tokens"),
        ("--reasoning", "reasoning (thinking) output tokens"),
        ("--output-audio", "audio output tokens"),
        ("--web-searches", "web search calls"),
    )
    for flag, text in counts:
        cost_parser.add_argument(flag, type=token_count, default=0, metavar="N", help=f"{text} (default: 0)")
    cost_parser.set_defaults(handler=run(cost))


def runner(command: Any) -> Any:
    """Wrap a command: its UsageError/Failure become a message on stderr and an exit code."""

    def run(args: argparse.Namespace) -> int:
        name = "genai-cost " + " ".join(filter(None, (args.command, getattr(args, "prices_command", None))))
        # The commands say themselves what is missing; the library's once-per-model warnings would repeat it.
        logger = logging.getLogger("genai_cost")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            return int(command(args, sys.stdout))
        except UsageError as error:
            sys.stderr.write(f"{name}: error: {error}\n")
            return 2
        except Failure as error:
            sys.stderr.write(f"{name}: {error}\n")
            return 1
        finally:
            logger.setLevel(level)

    return run
