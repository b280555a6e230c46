"""Pure extraction for the google-genai SDK: a response in, an Outcome (normalised usage) out.

Works on the SDK's models (`GenerateContentResponse`, `EmbedContentResponse`) and on plain dicts
of the same shape in either spelling (the SDK's snake_case or the REST API's camelCase), so it is
testable on recorded responses alone.

Gemini's usage metadata, normalised as docs/design.md says:

- `prompt_token_count` includes `cached_content_token_count` (explicit and implicit caching);
  `tool_use_prompt_token_count` (tool results fed back to the model, e.g. code execution, URL
  context, file search) is billed as input but is not part of it, so input = prompt + tool use;
- `candidates_token_count` excludes `thoughts_token_count`, which is billed as output, so
  output = candidates + thoughts and reasoning = thoughts;
- audio prompt tokens have their own prices: the uncached ones are input audio, the cached ones
  (`cache_tokens_details`, AUDIO) the audio part of the cache reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genai_cost.fields import count, field, field_of
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage

# Vertex AI reports the tier it served in `traffic_type`; the Developer API echoes nothing the SDK
# keeps, so the request's `config.service_tier` is the fallback.
_TRAFFIC_TIERS = {
    "ON_DEMAND_FLEX": "flex",
    "ON_DEMAND_PRIORITY": "priority",
}
_AUDIO = "AUDIO"
_TOTALS = (
    ("prompt_token_count", "promptTokenCount"),
    ("candidates_token_count", "candidatesTokenCount"),
    ("thoughts_token_count", "thoughtsTokenCount"),
    ("cached_content_token_count", "cachedContentTokenCount"),
    ("tool_use_prompt_token_count", "toolUsePromptTokenCount"),
    ("response_token_count", "responseTokenCount"),
)


def _count(obj: Any, snake: str, camel: str) -> int:
    if isinstance(obj, dict) and snake not in obj:
        return count(obj, camel)
    return count(obj, snake)


def _enum_name(value: Any) -> str | None:
    """An SDK enum or a REST string as its upper-case name ("STOP"); None when absent."""
    if value is None:
        return None
    name = getattr(value, "value", value)
    return name.upper() if isinstance(name, str) else None


def _modality_tokens(details: Iterable[Any] | None, modality: str) -> int:
    return sum(
        _count(item, "token_count", "tokenCount")
        for item in details or ()
        if _enum_name(field(item, "modality")) == modality
    )


def usage_from_metadata(metadata: Any) -> Usage | None:
    """`GenerateContentResponseUsageMetadata` (or `usageMetadata`) -> Usage; None when absent."""
    if not any(field_of(metadata, snake, camel) is not None for snake, camel in _TOTALS):
        return None  # absent, or an unknown shape: no usage, never a zero-token $0 call
    prompt = _count(metadata, "prompt_token_count", "promptTokenCount")
    tool_use = _count(metadata, "tool_use_prompt_token_count", "toolUsePromptTokenCount")
    thoughts = _count(metadata, "thoughts_token_count", "thoughtsTokenCount")
    candidates = _count(metadata, "candidates_token_count", "candidatesTokenCount")
    if candidates == 0:  # embeddings' UsageMetadata calls its output "response" tokens
        candidates = _count(metadata, "response_token_count", "responseTokenCount")
    audio = _modality_tokens(field_of(metadata, "prompt_tokens_details", "promptTokensDetails"), _AUDIO)
    cached_audio = _modality_tokens(field_of(metadata, "cache_tokens_details", "cacheTokensDetails"), _AUDIO)
    return Usage(
        input_tokens=prompt + tool_use,
        output_tokens=candidates + thoughts,
        cache_read_tokens=_count(metadata, "cached_content_token_count", "cachedContentTokenCount"),
        reasoning_tokens=thoughts,
        input_audio_tokens=max(audio - cached_audio, 0),
        cache_audio_read_tokens=cached_audio,
    )


def service_tier(metadata: Any, requested: Any = None) -> str | None:
    """The tier a call was served at: Vertex's traffic type, else the tier the request asked for."""
    served = _TRAFFIC_TIERS.get(_enum_name(field_of(metadata, "traffic_type", "trafficType")) or "")
    if served:
        return served
    asked = getattr(requested, "value", requested)
    return asked.lower() if isinstance(asked, str) else None


def finish_reasons(response: Any) -> list[str]:
    """Finish reasons of the candidates, lower case as in the semantic conventions ("stop")."""
    reasons = []
    for candidate in field(response, "candidates") or ():
        name = _enum_name(field_of(candidate, "finish_reason", "finishReason"))
        if name:
            reasons.append(name.lower())
    return reasons


def response_model(response: Any) -> str | None:
    model = field_of(response, "model_version", "modelVersion")
    return model if isinstance(model, str) and model else None


def generate_outcome(response: Any, requested_tier: Any = None) -> Outcome:
    """A `GenerateContentResponse` (one request's, or the SDK's merged one)."""
    metadata = field_of(response, "usage_metadata", "usageMetadata")
    response_id = field_of(response, "response_id", "responseId")
    return Outcome(
        usage=usage_from_metadata(metadata),
        response_model=response_model(response),
        response_id=response_id if isinstance(response_id, str) else None,
        finish_reasons=finish_reasons(response),
        service_tier=service_tier(metadata, requested_tier),
    )


def embed_usage(response: Any) -> Usage | None:
    """`EmbedContentResponse`: its usage metadata, else the per-embedding token statistics (Vertex).

    None when the response reports neither (the Developer API's batchEmbedContents may not).
    """
    metadata = field_of(response, "usage_metadata", "usageMetadata")
    if metadata is not None:
        return usage_from_metadata(metadata)
    stats = [field(embedding, "statistics") for embedding in field(response, "embeddings") or ()]
    stats = [s for s in stats if field_of(s, "token_count", "tokenCount") is not None]
    if not stats:
        return None
    return Usage(input_tokens=sum(_count(s, "token_count", "tokenCount") for s in stats))  # floats on Vertex


def embed_outcome(response: Any) -> Outcome:
    return Outcome(usage=embed_usage(response))


def add_usages(usages: Iterable[Usage]) -> Usage:
    """The sum of several requests' usage (one logical call that made several HTTP requests)."""
    total = Usage()
    for usage in usages:
        total = total.plus(usage)
    return total
