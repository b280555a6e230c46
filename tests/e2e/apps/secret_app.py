"""An app that sends its API key every way the openai, anthropic and google-genai SDKs can, for the
secret-scan end-to-end test.

Run it as ``opentelemetry-instrument python secret_app.py``. The key (OPENAI_API_KEY, also used as
AZURE_OPENAI_API_KEY, ANTHROPIC_API_KEY and the Gemini and Vertex credentials) goes out as

- an ``Authorization: Bearer`` header (``openai.OpenAI``, ``anthropic.Anthropic(auth_token=)``, and
  a Vertex AI ``genai.Client`` whose OAuth token is the key),
- an ``api-key`` header (``openai.AzureOpenAI``, and ``extra_headers`` on one call),
- an ``x-api-key`` header (``anthropic.Anthropic``),
- an ``x-goog-api-key`` header (``genai.Client(api_key=)``: the SDK never puts the key in the URL),
- a ``?key=`` query parameter (``default_query`` of an openai and an anthropic client, and
  ``extra_query`` on one call),

on successful calls, streams, the Responses and embeddings APIs, HTTP errors (401, 403, 500), a
stream that fails midway after reporting usage (anthropic's in-band error event) and a connection
error. genai-cost's logger writes to stderr at DEBUG level (prefix ``genai-cost-log``). The app
prints ``DONE {json}`` and waits for a line on stdin before it exits.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types
from google.oauth2.credentials import Credentials

MESSAGES = [{"role": "user", "content": "canary-prompt: what is 10 + 5?"}]
PROMPT = "canary-prompt: what is 10 + 5?"


def main() -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("genai-cost-log %(levelname)s %(message)s"))
    genai_logger = logging.getLogger("genai_cost")
    genai_logger.addHandler(handler)
    genai_logger.setLevel(logging.DEBUG)

    key = os.environ["OPENAI_API_KEY"]
    root = os.environ["MOCK_ROOT_URL"]
    bearer = openai.OpenAI(max_retries=0)
    azure = openai.AzureOpenAI(azure_endpoint=root, api_version="2024-10-21", max_retries=0)
    query = openai.OpenAI(default_query={"key": key}, max_retries=0)
    unreachable = openai.OpenAI(base_url=os.environ["CLOSED_URL"], default_query={"key": key}, max_retries=0)
    outcomes: list[str] = []

    def attempt(name: str, call: object) -> None:
        try:
            result = call()  # type: ignore[operator]
            if isinstance(result, openai.Stream | anthropic.Stream) or inspect.isgenerator(result):
                for _ in result:
                    pass
            outcomes.append(f"{name}:ok")
        except (openai.APIError, anthropic.APIError, genai_errors.APIError) as error:
            outcomes.append(f"{name}:{type(error).__name__}")

    chat = bearer.chat.completions
    attempt("bearer-chat", lambda: chat.create(model="gpt-4o-mini", messages=MESSAGES))
    attempt("bearer-stream", lambda: chat.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
    attempt("bearer-responses", lambda: bearer.responses.create(model="gpt-4.1", input="canary-prompt"))
    attempt("bearer-embeddings", lambda: bearer.embeddings.create(model="text-embedding-3-small", input="x"))
    attempt("bearer-401", lambda: chat.create(model="mock-error-401", messages=MESSAGES))
    attempt(
        "extra-header-and-query",
        lambda: chat.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"api-key": key}, extra_query={"key": key}
        ),
    )
    attempt("azure-chat", lambda: azure.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    attempt("azure-403", lambda: azure.chat.completions.create(model="mock-error-403", messages=MESSAGES))
    attempt("query-chat", lambda: query.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    # An unknown model: genai-cost logs a warning during the run, with the key in this client's URL.
    attempt("query-unknown-model", lambda: query.chat.completions.create(model="mock-unpriced", messages=MESSAGES))
    attempt("query-500", lambda: query.chat.completions.create(model="mock-error-500", messages=MESSAGES))
    attempt("unreachable", lambda: unreachable.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    anthropic_calls(attempt, key)
    gemini_calls(attempt, key)

    print("DONE " + json.dumps(outcomes), flush=True)
    sys.stdin.readline()
    return 0


def anthropic_calls(attempt: Callable[[str, object], None], key: str) -> None:
    """x-api-key (and a Bearer token, and ?key=) to the anthropic mock (ANTHROPIC_BASE_URL)."""
    x_api_key = anthropic.Anthropic(max_retries=0)
    bearer = anthropic.Anthropic(api_key=None, auth_token=key, max_retries=0)
    query = anthropic.Anthropic(default_query={"key": key}, max_retries=0)
    create = x_api_key.messages.create
    common: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 50, "messages": MESSAGES}
    attempt("anthropic-create", lambda: create(**common))
    attempt("anthropic-stream", lambda: _final_text(x_api_key, common))
    attempt("anthropic-401", lambda: create(**{**common, "model": "mock-error-401"}))
    # Fails after message_start: the usage reported so far is still counted.
    attempt("anthropic-stream-error", lambda: create(**common, stream=True, extra_body={"mock": {"error_after": 3}}))
    attempt("anthropic-bearer", lambda: bearer.messages.create(**common))
    attempt("anthropic-query-500", lambda: query.messages.create(**{**common, "model": "mock-error-500"}))


def _final_text(client: anthropic.Anthropic, request: dict[str, Any]) -> str:
    with client.messages.stream(**request) as stream:
        return stream.get_final_text()


def gemini_calls(attempt: Callable[[str, object], None], key: str) -> None:
    """x-goog-api-key to the Gemini mock (GEMINI_URL), an OAuth Bearer token to the Vertex mock (VERTEX_URL)."""
    gemini = genai.Client(api_key=key, http_options=genai_types.HttpOptions(base_url=os.environ["GEMINI_URL"]))
    vertex = genai.Client(
        vertexai=True,
        project="scan-project",
        location="us-central1",
        credentials=Credentials(token=key),
        http_options=genai_types.HttpOptions(base_url=os.environ["VERTEX_URL"]),
    )
    models = gemini.models
    attempt("gemini-generate", lambda: models.generate_content(model="gemini-2.0-flash", contents=PROMPT))
    attempt("gemini-stream", lambda: models.generate_content_stream(model="gemini-2.0-flash", contents=PROMPT))
    attempt("gemini-400", lambda: models.generate_content(model="mock-error-400", contents=PROMPT))
    attempt("vertex-generate", lambda: vertex.models.generate_content(model="gemini-2.0-flash", contents=PROMPT))
    attempt("vertex-403", lambda: vertex.models.generate_content(model="mock-error-403", contents=PROMPT))


if __name__ == "__main__":
    sys.exit(main())
