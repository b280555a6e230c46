"""Pure extraction for the mistralai SDK: a response or stream events in, an Outcome out.

Mistral's chat and embeddings bodies are OpenAI's shape (`usage.prompt_tokens`,
`completion_tokens`, `prompt_tokens_details.cached_tokens`), so the openai package's readers apply.
Two differences are handled here: the SDK's `UsageInfo` defaults a count the response left out to
0, so a usage object in which the response set none of the totals (an unknown shape) is no usage,
never a $0 call; and a stream sends its usage on the last chunk unasked, each event wrapping its
chunk in `data`.
"""

from __future__ import annotations

from typing import Any

from genai_cost.fields import field
from genai_cost.openai import extract as openai_extract
from genai_cost.outcome import Outcome
from genai_cost.providers import Provider

_TOTALS = frozenset({"prompt_tokens", "completion_tokens"})


def _unreported(usage: Any) -> bool:
    """A SDK usage model whose totals are all the SDK's defaults, not the response's."""
    fields_set = getattr(usage, "model_fields_set", None)
    return fields_set is not None and not fields_set & _TOTALS


def _checked(outcome: Outcome, usage: Any) -> Outcome:
    if _unreported(usage):
        outcome.usage = None
    return outcome


def chat_outcome(response: Any, provider: Provider) -> Outcome:
    return _checked(openai_extract.chat_outcome(response, provider), field(response, "usage"))


def embeddings_outcome(response: Any, provider: Provider) -> Outcome:
    return _checked(openai_extract.embeddings_outcome(response, provider), field(response, "usage"))


class StreamAccumulator:
    """`chat.stream` events (`CompletionEvent`): the chunk is the event's `data`."""

    def __init__(self, provider: Provider) -> None:
        self.chunks = openai_extract.ChatStreamAccumulator(provider, hide_usage_chunk=False)

    def add(self, event: Any) -> bool:
        return self.chunks.add(field(event, "data"))

    def outcome(self) -> Outcome:
        return _checked(self.chunks.outcome(), self.chunks.usage)
