"""What an outer call (LiteLLM) takes from the calls nested in it (an SDK it called)."""

from __future__ import annotations

from genai_cost.nesting import merged
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage


def test_no_inner_usage_leaves_the_outer_outcome() -> None:
    outer = Outcome(Usage(10, 5), response_model="m")
    assert merged(outer, [Outcome(usage=None)]) is outer
    assert merged(None, []) is None


def test_outer_without_usage_takes_the_inner_sum() -> None:
    inner = [Outcome(Usage(10, 5, cache_read_tokens=4), response_model="inner-model"), Outcome(Usage(20, 1))]
    result = merged(Outcome(usage=None, response_model="outer-model"), inner)
    assert result is not None
    assert result.usage == Usage(30, 6, cache_read_tokens=4)
    assert result.response_model == "outer-model"  # the outer call's model is kept when it has one
    failed_outer = merged(None, inner)  # the library raised after its SDK call was billed
    assert failed_outer is not None and failed_outer.usage == Usage(30, 6, cache_read_tokens=4)
    assert failed_outer.response_model == "inner-model"


def test_same_totals_take_the_inner_details_and_the_outer_cost() -> None:
    outer = Outcome(Usage(300, 5, provider_cost=0.01), response_model="m")
    inner = Outcome(Usage(300, 5, cache_write_tokens=290, cache_write_1h_tokens=90, reasoning_tokens=2))
    result = merged(outer, [inner])
    assert result is not None and result.response_model == "m"
    assert result.usage == Usage(300, 5, cache_write_tokens=290, cache_write_1h_tokens=90, reasoning_tokens=2,
                                 provider_cost=0.01)  # fmt: skip


def test_different_totals_fill_only_consistent_zeros() -> None:
    outer = Outcome(Usage(300, 7))
    filled = merged(outer, [Outcome(Usage(298, 5, cache_read_tokens=290))])
    assert filled is not None and filled.usage == Usage(300, 7, cache_read_tokens=290)
    too_big = merged(outer, [Outcome(Usage(900, 5, cache_read_tokens=800))])
    assert too_big is not None and too_big.usage == Usage(300, 7)  # 800 cached of 300 input: not taken
