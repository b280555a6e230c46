"""`genai-cost prices show|check` and `genai-cost cost`: every price explainable from the command line.

They use the same PriceBook as the instrumentation, so what they print is what a span would say:
the rates after overrides and discounts, the entry that matched, its source and the dates it holds
for. Errors go to stderr with exit code 1 (no price, a broken price file) or 2 (bad arguments).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from genai_cost import config
from genai_cost.price_tool.arguments import Failure, UsageError, instant, token_count
from genai_cost.price_tool.commands import check, cost, show


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
