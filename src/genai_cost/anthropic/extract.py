"""Pure extraction for the anthropic SDK: a Message (or stream events) in, an Outcome out.

Works on the SDK's models and on plain dicts of the same shape, so it is testable on recorded
responses alone. Anthropic's usage differs from the semantic conventions in two ways that are
resolved here: `input_tokens` excludes cache reads and writes (the SDK: "total input tokens in a
request is the summation of input_tokens, cache_creation_input_tokens and cache_read_input_tokens"),
and the top-level usage leaves out some sampling iterations listed in `usage.iterations`.

Iterations (beta): each entry is one sampling step of the call. The top-level usage is the sum of
the `message` steps (the turns of a server-side tool loop, and a `fallback_message` that replaces
one); `compaction` steps are billed on top of it (the SDK's `BetaUsage.iterations`: "A compaction
entry's tokens are not included in the top-level usage fields"), and so are `advisor_message`
steps, at the advisor model's own rates (recorded: top-level input 2390 = 1128 + 1262, the two
`message` steps, without the 2518 of the advisor step). Those two kinds become `Outcome.extra_usage`.
"""

from __future__ import annotations

from typing import Any

from genai_cost.fields import count, field, fields_of, reports_any
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage

# Sampling iterations billed beside the top-level usage (see the module docstring).
_EXTRA_ITERATIONS = frozenset({"compaction", "advisor_message"})
# Fields a message_delta may carry: cumulative totals that replace message_start's values.
_DELTA_FIELDS = (
    "input_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "output_tokens",
    "output_tokens_details",
    "server_tool_use",
    "iterations",
)
BATCH_TIER = "batch"
_TOTALS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def message_usage(usage: Any) -> Usage | None:
    """A Message's `usage` (also an iteration entry) normalised: input includes cache reads and writes."""
    if not reports_any(fields_of(usage), *_TOTALS):
        return None
    uncached = count(usage, "input_tokens")
    cache_read = count(usage, "cache_read_input_tokens")
    creation = field(usage, "cache_creation")
    write_5m = count(creation, "ephemeral_5m_input_tokens")
    write_1h = count(creation, "ephemeral_1h_input_tokens")
    # The TTL split, when present, is authoritative; the total alone means 5-minute writes.
    cache_write = max(count(usage, "cache_creation_input_tokens"), write_5m + write_1h)
    return Usage(
        input_tokens=uncached + cache_read + cache_write,
        output_tokens=count(usage, "output_tokens"),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=write_1h,
        reasoning_tokens=count(field(usage, "output_tokens_details"), "thinking_tokens"),
        web_searches=count(field(usage, "server_tool_use"), "web_search_requests"),
    )


def extra_iterations(usage: Any) -> list[tuple[str | None, Usage]]:
    """Sampling iterations the top-level usage leaves out, with the model that ran each (None: the call's)."""
    extra: list[tuple[str | None, Usage]] = []
    for iteration in field(usage, "iterations") or ():
        if field(iteration, "type") in _EXTRA_ITERATIONS:
            normalised = message_usage(iteration)
            if normalised is not None:
                model = field(iteration, "model")
                extra.append((model if isinstance(model, str) and model else None, normalised))
    return extra


def message_outcome(message: Any, service_tier: str | None = None) -> Outcome:
    """A Message or BetaMessage (also a parsed one). `service_tier` overrides what the usage says."""
    usage = field(message, "usage")
    stop_reason = field(message, "stop_reason")
    return Outcome(
        usage=message_usage(usage),
        response_model=field(message, "model"),
        response_id=field(message, "id"),
        finish_reasons=[stop_reason] if stop_reason else None,
        service_tier=service_tier or field(usage, "service_tier"),
        extra_usage=extra_iterations(usage),
    )


def count_tokens_outcome(result: Any) -> Outcome:
    """`messages.count_tokens`: the counted input tokens, for the span only (nothing is billed)."""
    return Outcome(usage=Usage(input_tokens=count(result, "input_tokens")), billable=False)


def batch_result_outcome(item: Any) -> Outcome | None:
    """One line of a message batch's results: an Outcome at the batch tier for a succeeded request."""
    result = field(item, "result")
    if field(result, "type") != "succeeded":
        return None  # errored, canceled and expired requests are not billed
    return message_outcome(field(result, "message"), service_tier=BATCH_TIER)


def _cache_split(split: Any, total: int) -> dict[str, int] | None:
    """message_start's 5m/1h split fitted to the final cache-write total a delta may have changed."""
    if split is None:
        return None
    write_1h = min(count(split, "ephemeral_1h_input_tokens"), total)
    return {"ephemeral_5m_input_tokens": total - write_1h, "ephemeral_1h_input_tokens": write_1h}


class MessageStreamAccumulator:
    """Raw stream events of `messages.create(stream=True)` (and the `messages.stream` helper).

    Input and cache counts, the 5m/1h split and the service tier come from `message_start`; each
    `message_delta` carries CUMULATIVE counts (MessageDeltaUsage: "The cumulative number of ... tokens
    which were used"), so the last value of each field replaces the earlier one and nothing is summed,
    the same merge the SDK's own stream helper does. When a server tool loop runs (web search), the
    final delta's input covers every sampling step and is the billed figure; message_start's input
    is the first step's only.
    """

    def __init__(self) -> None:
        self.message: Any = None
        self.start_usage: Any = None
        self.delta_usage: dict[str, Any] = {}
        self.stop_reason: str | None = None

    def add(self, event: Any) -> bool:
        # Runs for every event: `type` is declared by every SDK event, an attribute read, no helper call.
        event_type = event.get("type") if isinstance(event, dict) else getattr(event, "type", None)
        if event_type == "message_start":
            self.message = field(event, "message")
            self.start_usage = field(self.message, "usage")
        elif event_type == "message_delta":
            usage = field(event, "usage")
            for name in _DELTA_FIELDS:
                value = field(usage, name)
                if value is not None:
                    self.delta_usage[name] = value
            self.stop_reason = field(field(event, "delta"), "stop_reason") or self.stop_reason
        return False

    def usage(self) -> dict[str, Any] | None:
        """The final usage: message_start's, with every field a delta reported replaced."""
        if self.start_usage is None and not self.delta_usage:
            return None
        merged = {name: field(self.start_usage, name) for name in (*_DELTA_FIELDS, "cache_creation", "service_tier")}
        merged.update(self.delta_usage)
        merged["cache_creation"] = _cache_split(merged["cache_creation"], count(merged, "cache_creation_input_tokens"))
        return merged

    def outcome(self) -> Outcome:
        usage = self.usage()
        return Outcome(
            usage=message_usage(usage),
            response_model=field(self.message, "model"),
            response_id=field(self.message, "id"),
            finish_reasons=[self.stop_reason] if self.stop_reason else None,
            service_tier=field(usage, "service_tier"),
            extra_usage=extra_iterations(usage),
        )
