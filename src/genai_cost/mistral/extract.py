"""Pure extraction for the mistralai SDK: a response or stream events in, an Outcome out.

Mistral's chat and embeddings bodies are OpenAI's shape (`usage.prompt_tokens`,
`completion_tokens`, `prompt_tokens_details.cached_tokens`), so the openai package's readers apply
as they are. A Mistral stream sends its usage on the last chunk whether or not it was asked for;
each stream event wraps its chunk in `data`.
"""

from __future__ import annotations

from typing import Any

from genai_cost.fields import field
from genai_cost.openai.extract import ChatStreamAccumulator, chat_outcome, embeddings_outcome
from genai_cost.outcome import Outcome
from genai_cost.providers import Provider

__all__ = ["chat_outcome", "embeddings_outcome", "StreamAccumulator"]


class StreamAccumulator:
    """`chat.stream` events (`CompletionEvent`): the chunk is the event's `data`."""

    def __init__(self, provider: Provider) -> None:
        self.chunks = ChatStreamAccumulator(provider, hide_usage_chunk=False)

    def add(self, event: Any) -> bool:
        return self.chunks.add(field(event, "data"))

    def outcome(self) -> Outcome:
        return self.chunks.outcome()
