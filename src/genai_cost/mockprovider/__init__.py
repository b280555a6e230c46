"""A deterministic local mock LLM provider (OpenAI wire format) for tests and demos.

>>> with MockProvider() as mock:  # doctest: +SKIP
...     client = openai.OpenAI(base_url=mock.base_url, api_key="test")

Token usage follows the formula documented in :mod:`genai_cost.mockprovider.tokens`.
"""

from .core import RecordedRequest
from .server import MockProvider

__all__ = ["MockProvider", "RecordedRequest"]
