"""An openai app that sends its API key every way the SDK can, for the secret-scan end-to-end test.

Run it as ``opentelemetry-instrument python secret_app.py``. The key (OPENAI_API_KEY, also used as
AZURE_OPENAI_API_KEY) goes out as

- an ``Authorization: Bearer`` header (``openai.OpenAI``),
- an ``api-key`` header (``openai.AzureOpenAI``, and ``extra_headers`` on one call),
- a ``?key=`` query parameter (``default_query`` of a client, and ``extra_query`` on one call),

on successful calls, streams, the Responses and embeddings APIs, HTTP errors (401, 403, 500) and
a connection error. genai-cost's logger writes to stderr at DEBUG level (prefix ``genai-cost-log``).
The app prints ``DONE {json}`` and waits for a line on stdin before it exits.
"""

from __future__ import annotations

import json
import logging
import os
import sys

import openai

MESSAGES = [{"role": "user", "content": "canary-prompt: what is 10 + 5?"}]


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
            if isinstance(result, openai.Stream):
                for _ in result:
                    pass
            outcomes.append(f"{name}:ok")
        except openai.APIError as error:
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

    print("DONE " + json.dumps(outcomes), flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
