"""A price entry and a cost, as a person reads them: rates per million, bands, a line per token type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from genai_cost.pricing import PriceEntry, Rates
from genai_cost.usage import Usage

M = 1_000_000


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
