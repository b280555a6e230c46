"""`CallRecord`: one finished call as the app's own code sees it (`genai_cost.on_call`, `track()`).

Built from the very attributes written on the call's span, so a record and its span never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import format_span_id, format_trace_id

from genai_cost import names

if TYPE_CHECKING:
    from genai_cost.call import Call

_NO_ATTRIBUTION: Mapping[str, str] = MappingProxyType({})


def tokens_by_type(counts: Any) -> dict[str, int]:
    """The token counts of a record or a track() block by gen_ai.token.type, as the counter labels them."""
    return {
        names.TOKEN_INPUT: counts.input_tokens,
        names.TOKEN_OUTPUT: counts.output_tokens,
        names.TOKEN_CACHE_READ: counts.cache_read_tokens,
        names.TOKEN_CACHE_WRITE: counts.cache_write_tokens,
        names.TOKEN_REASONING: counts.reasoning_tokens,
    }


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One finished LLM call: who served it, what it used, what it cost, who it was for."""

    provider: str  # gen_ai.provider.name
    operation: str  # gen_ai.operation.name: chat, embeddings, generate_content, ...
    request_model: str
    response_model: str
    input_tokens: int  # all input, cache reads and writes included (semconv)
    output_tokens: int  # all output, reasoning included
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost_usd: float | None  # None: not priced (see unpriced_reason) or nothing reported (a failure)
    cost_source: str | None  # bundled | refreshed | override | provider | mixed
    unpriced_reason: str | None  # no_usage | unknown_model | local_model | invalid_usage | price_error
    duration_s: float
    error_type: str | None  # None: the call succeeded; e.g. "429", "genai_cost.BudgetExceeded"
    attribution: Mapping[str, str] = field(default_factory=dict)  # tenant.id, user.id, ... as on the span
    conversation_id: str | None = None  # gen_ai.conversation.id
    trace_id: str = ""  # hex, as trace backends show it: to find the call's span
    span_id: str = ""

    @property
    def tokens(self) -> dict[str, int]:
        """Tokens by gen_ai.token.type, as the tokens counter labels them."""
        return tokens_by_type(self)

    @classmethod
    def of(cls, call: Call, attributes: Mapping[str, Any], elapsed: float) -> CallRecord:
        """The record of a call ending with these span attributes (those set at its end)."""
        context = call.span.get_span_context()
        attribution = call.attribution or _NO_ATTRIBUTION
        get = attributes.get
        return cls(
            provider=call.endpoint.provider.name,
            operation=call.operation,
            request_model=call.request_model,
            response_model=get(names.RESPONSE_MODEL, ""),
            input_tokens=get(names.USAGE_INPUT_TOKENS, 0),
            output_tokens=get(names.USAGE_OUTPUT_TOKENS, 0),
            cache_read_tokens=get(names.USAGE_CACHE_READ_INPUT_TOKENS, 0),
            cache_write_tokens=get(names.USAGE_CACHE_WRITE_INPUT_TOKENS, 0),
            reasoning_tokens=get(names.USAGE_REASONING_OUTPUT_TOKENS, 0),
            cost_usd=get(names.USAGE_COST),
            cost_source=get(names.COST_SOURCE),
            unpriced_reason=get(names.UNPRICED_REASON),
            duration_s=elapsed,
            error_type=get(names.ERROR_TYPE),
            attribution=MappingProxyType(dict(attribution)),
            conversation_id=attribution.get(names.CONVERSATION_ID),
            trace_id=format_trace_id(context.trace_id) if context.is_valid else "",
            span_id=format_span_id(context.span_id) if context.is_valid else "",
        )
