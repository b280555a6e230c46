"""The price override file named by `GENAI_COST_PRICES_FILE`: its format, reading and validating it.

A file corrects or extends the bundled prices: explicit per-million prices for a model (custom,
fine-tuned, self-hosted at $0 on purpose), aliases that price a name (an Azure deployment) as a
bundled model, negotiated discount multipliers, each optionally scoped to providers, a service tier
and a date range. YAML (with PyYAML installed) or JSON::

    models:
      - name: llama-on-prem            # required, unique: spans say override:<file>#llama-on-prem
        provider: vllm                 # optional: gen_ai.provider.name, or a list of them
        match: llama-3.3-70b           # exact model name(s), case-insensitive (or `regex:`)
        prices: {input: 0, output: 0}  # USD per million tokens
      - name: prod-deployment
        provider: azure.ai.openai
        match: [prod-gpt4o, eu-gpt4o]
        alias: gpt-4o                  # price as this bundled model
    discounts:
      - name: azure-commit
        provider: azure.ai.openai
        multiplier: 0.8

A file with any problem is rejected as a whole (a half-applied discount is worse than none): the
loader returns every problem with its line, and the caller keeps the bundled prices.

Modules: schema (the values), parse (text -> located document), validate (document -> PriceFile),
match (which entry applies to a call).
"""

from __future__ import annotations

from collections.abc import Iterable

from genai_cost.price_file.parse import parse_document
from genai_cost.price_file.schema import Discount, ModelOverride, PriceFile, PriceFileError, Problem, parse_instant
from genai_cost.price_file.validate import validate

__all__ = [
    "Discount",
    "ModelOverride",
    "PriceFile",
    "PriceFileError",
    "Problem",
    "load",
    "parse",
    "parse_instant",
]


def load(path: str, known_providers: Iterable[str] | None = None) -> PriceFile:
    """Read and validate a price file. Raises PriceFileError listing every problem found."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as error:
        raise PriceFileError(path, [Problem(None, f"cannot read the file: {error.strerror or error}")]) from None
    return parse(text, path, known_providers)


def parse(text: str, path: str, known_providers: Iterable[str] | None = None) -> PriceFile:
    """Validate a price file's text; `path` names it in problems and says whether it is JSON."""
    return validate(parse_document(text, path), path, known_providers)
