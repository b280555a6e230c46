"""What a provider module learned from a finished call: the one record pricing and telemetry read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from genai_cost.usage import Usage


@dataclass(slots=True)
class Outcome:
    """What a provider module learned from a finished call."""

    usage: Usage | None  # None: the provider reported no usage
    response_model: str | None = None
    response_id: str | None = None
    finish_reasons: Sequence[str] | None = None
    service_tier: str | None = None  # the tier the provider says it served
    pending: bool = False  # usage comes later (a queued background response): not unpriced
    # Usage billed beside `usage` within the same call, each at its own model (None: the response model),
    # e.g. Anthropic compaction and advisor iterations that the top-level usage leaves out.
    extra_usage: Sequence[tuple[str | None, Usage]] = ()
    billable: bool = True  # False: counted tokens of a request that is not billed (token counting)
    # One logical call that made several billed requests (e.g. Gemini automatic function calling):
    # each request's usage, priced one by one so each gets its own long-context band; `usage` is
    # their sum.
    parts: Sequence[Usage] | None = None
