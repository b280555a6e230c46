"""A plain google-genai app with no OpenTelemetry code, for the zero-code test of the google-genai
instrumentation.

Run it as ``opentelemetry-instrument python google_genai_app.py``. It reads only what any
google-genai app reads: GEMINI_API_KEY and GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL (the SDK
picks them up by itself). The Vertex AI client is given a project, a location and a static OAuth
token, as an app with its own credentials would be.

It makes a fixed list of calls against the local mock providers, prints ``RESULT {json}`` with
what the app itself saw, then ``READY``, and waits for a line on stdin (the test scrapes the
Prometheus endpoint meanwhile) before it exits with code 0. Token usage of two calls is forced with
the mock's ``extra_body={"mock": {"usage": ...}}``; the others follow the mock's formula. The test
repeats these numbers as its hand-written expectations.
"""

from __future__ import annotations

import asyncio
import json
import sys

from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

GENERATE_USAGE = {
    "promptTokenCount": 5000, "cachedContentTokenCount": 4096, "toolUsePromptTokenCount": 300,
    "candidatesTokenCount": 200, "thoughtsTokenCount": 800, "totalTokenCount": 6300,
}  # fmt: skip
# Automatic function calling: two HTTP requests, each with its own usage.
AFC_USAGE = [
    {"promptTokenCount": 1200, "candidatesTokenCount": 10, "thoughtsTokenCount": 50, "totalTokenCount": 1260},
    {"promptTokenCount": 1300, "cachedContentTokenCount": 1024, "candidatesTokenCount": 40,
     "thoughtsTokenCount": 60, "totalTokenCount": 1400},
]  # fmt: skip


def forced(usage: object, **config: object) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(http_options=types.HttpOptions(extra_body={"mock": {"usage": usage}}), **config)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def main() -> None:
    client = genai.Client()
    seen: dict[str, object] = {}
    response = client.models.generate_content(model="gemini-2.5-flash", contents="hello", config=forced(GENERATE_USAGE))
    seen["generate_prompt_tokens"] = response.usage_metadata.prompt_token_count
    chunks = list(client.models.generate_content_stream(model="gemini-2.0-flash", contents="hello there"))
    seen["stream_chunks"] = len(chunks)
    embedded = client.models.embed_content(model="gemini-embedding-001", contents=["a" * 40, "b" * 8])
    seen["embeddings"] = len(embedded.embeddings)
    afc = client.models.generate_content(
        model="gemini-2.5-flash", contents="weather in Paris?", config=forced(AFC_USAGE, tools=[get_weather])
    )
    seen["afc_prompt_tokens"] = afc.usage_metadata.prompt_token_count  # the SDK's: the last request's only

    async def aio() -> str | None:
        result = await client.aio.models.generate_content(model="gemini-2.0-flash", contents="hello there")
        return result.text

    seen["async_text"] = asyncio.run(aio())
    vertex = genai.Client(
        vertexai=True, project="demo-project", location="us-central1", credentials=Credentials(token="static")
    )
    seen["vertex_traffic"] = vertex.models.generate_content(
        model="gemini-2.5-flash", contents="hello there"
    ).usage_metadata.traffic_type.value
    print("RESULT " + json.dumps(seen), flush=True)
    print("READY", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
