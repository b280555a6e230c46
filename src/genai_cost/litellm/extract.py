"""Pure extraction for LiteLLM: a `ModelResponse`, `EmbeddingResponse` or stream chunks in, an Outcome out.

LiteLLM answers in OpenAI's shape for every provider, with the provider's cache counts mapped into
it (`prompt_tokens_details.cached_tokens` and `cache_write_tokens`, Anthropic's and DeepSeek's
included), so the openai package's readers apply. The provider they are read for is the one LiteLLM
resolved (see wrappers.py), whose quirks (xAI's reasoning outside the output) they apply.
"""

from __future__ import annotations

from typing import Any

from genai_cost.fields import fields_of
from genai_cost.openai.extract import ChatStreamAccumulator, chat_outcome, embeddings_outcome

__all__ = ["chat_outcome", "embeddings_outcome", "StreamAccumulator"]


class StreamAccumulator(ChatStreamAccumulator):
    """LiteLLM's chunks (`ModelResponseStream`) keep their usage among the model's extra fields."""

    def add(self, chunk: Any) -> bool:
        return super().add(fields_of(chunk))
