"""One logical call made through two measured libraries: what the outer call takes from the inner ones.

LiteLLM (the outer call) calls the openai or anthropic SDK (inner calls): the call is recorded once,
by the outer call, at its provider and model. The inner calls read the provider's own response with
the SDK's rules, so they may know what the outer library dropped:

- the outer call reports no usage (a stream it did not ask usage of): the inner calls' usage is the
  call's, summed when the library made several billed requests (retries, fallbacks);
- both report the same input and output totals: the inner usage is taken whole (cache writes,
  the 1-hour split, reasoning), with the outer call's reported cost if it has one;
- the totals differ (the library counts another way): the outer usage stays, with the counts it
  left at zero filled in from the inner usage, when the result is consistent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import reduce

from genai_cost.outcome import Outcome
from genai_cost.usage import Usage

# Usage fields that break a total down or add to it; the outer call's zeros are filled from these.
_DETAILS = (
    "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "input_audio_tokens",
    "output_audio_tokens", "web_searches", "cache_audio_read_tokens",
)  # fmt: skip


def merged(outer: Outcome | None, inner: Sequence[Outcome]) -> Outcome | None:
    """The outer call's outcome with what its inner calls add (see the module docstring)."""
    reported = [o.usage for o in inner if o.usage is not None]
    if not reported:
        return outer
    usage = reduce(Usage.plus, reported)
    if outer is None or outer.usage is None:
        model = outer.response_model if outer is not None else None
        base = outer if outer is not None else Outcome(usage=None)
        named = next((o.response_model for o in reversed(inner) if o.response_model), None)
        return dataclasses.replace(base, usage=usage, response_model=model or named)
    return dataclasses.replace(outer, usage=_combined(outer.usage, usage))


def _combined(outer: Usage, inner: Usage) -> Usage:
    if (outer.input_tokens, outer.output_tokens) == (inner.input_tokens, inner.output_tokens):
        cost = outer.provider_cost if outer.provider_cost is not None else inner.provider_cost
        return dataclasses.replace(inner, provider_cost=cost)
    filled = {name: getattr(inner, name) for name in _DETAILS if not getattr(outer, name)}
    candidate = dataclasses.replace(outer, **filled)
    return candidate if candidate.is_consistent() else outer
