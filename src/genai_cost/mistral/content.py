"""Mistral chat messages as GenAI semantic-convention content, for the opt-in capture.

Mistral's messages, responses and stream chunks have OpenAI's chat shape: the openai package's
mapping applies, with each stream event's chunk under `data`.
"""

from __future__ import annotations

from typing import Any

from genai_cost.fields import field
from genai_cost.openai import content as openai_content
from genai_cost.openai.content import request_content, response_content

__all__ = ["request_content", "response_content", "StreamContent"]


class StreamContent(openai_content.StreamContent):
    def add(self, event: Any) -> None:
        super().add(field(event, "data"))
