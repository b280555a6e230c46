"""Pure extraction for the openai SDK: a response object in, an Outcome (normalised usage) out.

Works on the SDK's models and on plain dicts of the same shape, so it is testable on recorded
responses alone. Provider quirks of OpenAI-compatible servers are applied here, from the
Provider detected for the client: xAI counts reasoning outside completion_tokens; OpenRouter and
xAI report the cost themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost.fields import as_count, count, field, fields_of, number, reports_any
from genai_cost.outcome import Outcome
from genai_cost.providers import Provider
from genai_cost.usage import Usage

_XAI_TICKS_PER_USD = 10_000_000_000  # xAI reports cost_in_usd_ticks, 1 tick = 1e-10 USD
_TERMINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def _provider_cost(usage: Any, provider: Provider) -> float | None:
    if provider.name == "openrouter":
        return number(usage, "cost")
    if provider.name == "x_ai":
        ticks = number(usage, "cost_in_usd_ticks")
        return None if ticks is None else ticks / _XAI_TICKS_PER_USD
    return None


def chat_usage(usage: Any, provider: Provider) -> Usage | None:
    """Chat Completions and legacy Completions usage (`CompletionUsage`)."""
    u = fields_of(usage)
    prompt_tokens, completion_tokens = u.get("prompt_tokens"), u.get("completion_tokens")
    if prompt_tokens is None and completion_tokens is None:  # reports_any, inlined: runs every call
        return None
    prompt = fields_of(u.get("prompt_tokens_details"))
    completion = fields_of(u.get("completion_tokens_details"))
    cached = as_count(prompt.get("cached_tokens")) or as_count(u.get("prompt_cache_hit_tokens"))  # DeepSeek
    reasoning = as_count(completion.get("reasoning_tokens")) or as_count(u.get("reasoning_tokens"))
    output = as_count(completion_tokens)
    if not provider.output_includes_reasoning:
        output += reasoning
    # Positional: keyword arguments double the cost of building the record, and this runs every call.
    return Usage(
        as_count(prompt_tokens),  # input_tokens
        output,  # output_tokens
        cached,  # cache_read_tokens
        as_count(prompt.get("cache_write_tokens")),  # cache_write_tokens
        0,  # cache_write_1h_tokens
        reasoning,  # reasoning_tokens
        as_count(prompt.get("audio_tokens")),  # input_audio_tokens
        as_count(completion.get("audio_tokens")),  # output_audio_tokens
        0,  # web_searches
        _provider_cost(usage, provider),  # provider_cost
    )


def responses_usage(usage: Any, provider: Provider, web_searches: int = 0) -> Usage | None:
    """Responses API usage (`ResponseUsage`): input includes cached, output includes reasoning."""
    if not reports_any(fields_of(usage), "input_tokens", "output_tokens"):
        return None
    input_details = field(usage, "input_tokens_details")
    return Usage(
        input_tokens=count(usage, "input_tokens"),
        output_tokens=count(usage, "output_tokens"),
        cache_read_tokens=count(input_details, "cached_tokens"),
        cache_write_tokens=count(input_details, "cache_write_tokens"),
        reasoning_tokens=count(field(usage, "output_tokens_details"), "reasoning_tokens"),
        web_searches=web_searches,
        provider_cost=_provider_cost(usage, provider),
    )


def embeddings_usage(usage: Any, provider: Provider) -> Usage | None:
    if not reports_any(fields_of(usage), "prompt_tokens"):
        return None
    return Usage(input_tokens=count(usage, "prompt_tokens"), provider_cost=_provider_cost(usage, provider))


def _finish_reasons(choices: Any) -> list[str]:
    reasons = []
    for choice in choices or ():
        # A declared field of the SDK's choice: an attribute read, no helper call per choice.
        reason = choice.get("finish_reason") if isinstance(choice, dict) else getattr(choice, "finish_reason", None)
        if reason:
            reasons.append(reason)
    return reasons


def chat_outcome(completion: Any, provider: Provider) -> Outcome:
    """A ChatCompletion (or legacy Completion)."""
    c = fields_of(completion)
    # Positional (usage, response model, response id, finish reasons, service tier): see chat_usage.
    return Outcome(
        chat_usage(c.get("usage"), provider),
        c.get("model"),
        c.get("id"),
        _finish_reasons(c.get("choices")),
        c.get("service_tier"),
    )


def response_outcome(response: Any, provider: Provider) -> Outcome:
    """A Responses API Response. Queued or in-progress (background) responses are priced later."""
    status = field(response, "status")
    return Outcome(
        usage=responses_usage(field(response, "usage"), provider, _web_searches(response)),
        response_model=field(response, "model"),
        response_id=field(response, "id"),
        finish_reasons=[status] if status else None,
        service_tier=field(response, "service_tier"),
        pending=status in ("queued", "in_progress"),
    )


def _web_searches(response: Any) -> int:
    """Billed web searches: `tool_usage` when the API reports it, else the search calls made."""
    reported = field(field(response, "tool_usage"), "web_search")
    if reported is not None:
        return count(reported, "num_requests")
    return sum(
        1
        for item in field(response, "output") or ()
        if field(item, "type") == "web_search_call" and field(item, "status") == "completed"
    )


def conversation_id(conversation: Any) -> str | None:
    """The Responses API's `conversation`: an id, or a {"id": ...} object."""
    if isinstance(conversation, Mapping):
        conversation = conversation.get("id")
    return conversation if isinstance(conversation, str) and conversation else None


def embeddings_outcome(response: Any, provider: Provider) -> Outcome:
    return Outcome(
        usage=embeddings_usage(field(response, "usage"), provider),
        response_model=field(response, "model"),
    )


class ChatStreamAccumulator:
    """Chat Completions and legacy Completions chunks; usage arrives on the last chunk."""

    def __init__(self, provider: Provider, hide_usage_chunk: bool) -> None:
        self.provider = provider
        self.hide_usage_chunk = hide_usage_chunk  # the app did not ask for it: we did
        self.model: str | None = None
        self.response_id: str | None = None
        self.service_tier: str | None = None
        self.usage: Any = None
        self.finish_reasons: dict[int, str] = {}

    def add(self, chunk: Any) -> bool:
        # Runs for every chunk. `choices` and `usage` are declared fields of the SDK's chunk types,
        # always in the model's __dict__; extras (Groq's x_groq, a gateway's service_tier) are read
        # only off the first and the finishing chunk.
        values = chunk if isinstance(chunk, dict) else getattr(chunk, "__dict__", None) or fields_of(chunk)
        if self.model is None:
            self._first(chunk)
        choices = values.get("choices")
        last = not choices  # a usage-only chunk, or one that finishes a choice
        if choices:
            for choice in choices:
                # A declared field of the SDK's choice: an attribute read, no helper call per chunk.
                if isinstance(choice, dict):
                    reason = choice.get("finish_reason")
                else:
                    reason = getattr(choice, "finish_reason", None)
                if reason:
                    self.finish_reasons[count(choice, "index")] = reason
                    last = True
        usage = values.get("usage")
        if usage is None and last:  # older Groq streams put usage under x_groq, on the finishing chunk
            usage = field(field(chunk, "x_groq"), "usage")
        if usage is not None:
            self.usage = usage
            return self.hide_usage_chunk and not choices
        return False

    def _first(self, chunk: Any) -> None:
        values = fields_of(chunk)
        self.model = values.get("model")
        self.response_id = values.get("id")
        self.service_tier = values.get("service_tier")

    def outcome(self) -> Outcome:
        return Outcome(
            usage=chat_usage(self.usage, self.provider),
            response_model=self.model,
            response_id=self.response_id,
            finish_reasons=[self.finish_reasons[i] for i in sorted(self.finish_reasons)],
            service_tier=self.service_tier,
        )


class ResponsesStreamAccumulator:
    """Responses API events; the terminal event carries the whole response with its usage."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.response: Any = None

    def add(self, event: Any) -> bool:
        event_type = field(event, "type")
        if event_type in _TERMINAL_RESPONSE_EVENTS or (self.response is None and event_type == "response.created"):
            self.response = field(event, "response")
        return False

    def outcome(self) -> Outcome:
        if self.response is None:
            return Outcome(usage=None)
        outcome = response_outcome(self.response, self.provider)
        outcome.pending = False  # a stream that ended before completion has no usage to wait for
        return outcome
