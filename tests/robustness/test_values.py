"""The pure pieces behind the fault handling: reading counts, judging usage, bounding label sets."""

from __future__ import annotations

import logging
import math

import pytest

from genai_cost import names
from genai_cost.fields import as_count, fields_of, number
from genai_cost.pricing import Price
from genai_cost.totals import MAX_LABEL_SETS, Totals
from genai_cost.usage import MALFORMED, MAX_TOKENS, Usage


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 0), (0, 0), (12, 12), ("12", 12), (12.0, 12), (True, MALFORMED), ("lots", MALFORMED),
     (math.nan, MALFORMED), (math.inf, MALFORMED), ([1], MALFORMED), (-3, -3)],
)  # fmt: skip
def test_as_count(value: object, expected: int) -> None:
    assert as_count(value) == expected


def test_malformed_counts_never_add_up_to_a_plausible_usage() -> None:
    # xAI adds reasoning to output, Anthropic adds cache to input: a malformed part stays invalid.
    assert not Usage(input_tokens=MALFORMED + 10**9, output_tokens=5).is_consistent()
    assert not Usage(input_tokens=MAX_TOKENS + 1).is_consistent()
    assert not Usage(input_tokens=10, cache_write_tokens=-1).is_consistent()
    assert Usage(input_tokens=MAX_TOKENS, output_tokens=1).is_consistent()


@pytest.mark.parametrize("value", [math.inf, -1.0, math.nan, "free", True])
def test_provider_cost_must_be_a_finite_non_negative_number(value: object) -> None:
    assert number({"cost": value}, "cost") is None


def test_fields_of() -> None:
    assert fields_of("see billing") == {} and fields_of(None) == {} and fields_of(7) == {}
    assert fields_of({"a": 1}) == {"a": 1}

    class Model:
        __pydantic_extra__ = {"x_groq": {"usage": 1}}

        def __init__(self) -> None:
            self.usage = None

    assert fields_of(Model()) == {"usage": None, "x_groq": {"usage": 1}}


def test_label_sets_are_bounded_and_nothing_is_lost(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="genai_cost")
    totals = Totals()
    usage, price = Usage(10, 1), Price(0.5)
    extra = 25
    for i in range(MAX_LABEL_SETS + extra):
        totals.add(("chat", "openai", f"model-{i}", f"model-{i}"), usage, price)
        totals.add_unpriced(("chat", "openai", f"model-{i}", f"model-{i}"), names.UNPRICED_NO_USAGE)
    sums, unpriced = totals.snapshot()
    assert len(sums) == MAX_LABEL_SETS + 1
    overflow = dict(sums)[("chat", "openai", names.OVERFLOW_MODEL, names.OVERFLOW_MODEL)]
    assert overflow[2] == 10 * extra and overflow[7] == extra  # input tokens and priced calls
    assert sum(row[2] for _, row in sums) == 10 * (MAX_LABEL_SETS + extra)
    assert sum(n for _, n in unpriced) == MAX_LABEL_SETS + extra
    assert len([r for r in caplog.records if r.name == "genai_cost"]) == 1
    # A label set seen before the limit keeps its own series.
    totals.add(("chat", "openai", "model-0", "model-0"), usage, price)
    assert dict(totals.snapshot()[0])[("chat", "openai", "model-0", "model-0")][2] == 20
