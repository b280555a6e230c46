"""Reading one test's recorded calls: the only span, counter sums, tokens by type, costs to 1e-9."""

from __future__ import annotations

import math
from typing import Any

from genai_cost import names
from tests.conftest import Pipeline

M = 1_000_000


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def cost(prices: dict[str, float], **tokens: int) -> float:
    """USD of token counts at per-million prices: cost({"in": 3.0}, **{"in": 10}) == 3e-5."""
    return sum(prices[kind] * n for kind, n in tokens.items()) / M


def only_span(pipeline: Pipeline) -> Any:
    spans = pipeline.finished()
    assert len(spans) == 1, [(s.name, s.instrumentation_scope.name) for s in spans]
    return spans[0]


def counter(pipeline: Pipeline, name: str, **labels: str) -> float:
    return sum(
        value for attrs, value in pipeline.metrics().get(name, []) if all(attrs.get(k) == v for k, v in labels.items())
    )


def tokens_by_type(pipeline: Pipeline) -> dict[str, float]:
    found: dict[str, float] = {}
    for attrs, value in pipeline.metrics().get(names.METRIC_TOKENS, []):
        found[attrs[names.TOKEN_TYPE]] = found.get(attrs[names.TOKEN_TYPE], 0) + value
    return found
