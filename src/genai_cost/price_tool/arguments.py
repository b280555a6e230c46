"""The price tool's arguments: token counts, instants, providers, the price book to ask."""

from __future__ import annotations

import argparse

from genai_cost import config
from genai_cost.price_file import PriceFileError, parse_instant
from genai_cost.price_file import load as load_price_file
from genai_cost.pricing import PriceBook
from genai_cost.pricing.bundled import price_data
from genai_cost.providers import KNOWN_PROVIDERS, PROVIDERS, Provider


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
    try:
        found, _ = price_data().find_provider_model(model, None, None, None)
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
