"""LiteLLM messages as GenAI semantic-convention content, for the opt-in capture.

LiteLLM takes and returns OpenAI's chat shape (`messages`, `ModelResponse`, stream chunks) for
every provider: the openai package's mapping applies as it is.
"""

from genai_cost.openai.content import StreamContent, request_content, response_content

__all__ = ["request_content", "response_content", "StreamContent"]
