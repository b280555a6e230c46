"""A plain openai app with no OpenTelemetry code, for the zero-code end-to-end test.

Run it as ``opentelemetry-instrument python openai_app.py``. It reads only what any openai app
reads: OPENAI_API_KEY and OPENAI_BASE_URL (the SDK picks both up by itself), and XAI_API_KEY /
XAI_BASE_URL for an xAI client made with the openai SDK.

It makes a fixed list of calls against the local mock provider, prints one line
``RESULT {json}`` saying what the app itself saw, then ``READY``, and waits for a line on stdin
(the test scrapes the Prometheus endpoint meanwhile) before it exits with code 0.

Token usage of most calls is forced with the mock provider's ``extra_body={"mock": {"usage":
...}}`` control, so the test can compute every cost by hand; the shapes are those of the real
APIs. The test file repeats these numbers as its hand-written expectations.
"""

from __future__ import annotations

import json
import os
import sys

import openai

# >= 1024 tokens by any count (the mock: ceil(chars / 4) + 4 per message = 1028).
LONG_PROMPT = ("Summarise the cost report for the quarter in one line. " * 80)[:4096]

CHAT_FIRST_USAGE = {
    "prompt_tokens": 1028,
    "completion_tokens": 12,
    "total_tokens": 1040,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
    },
}
CHAT_CACHED_USAGE = {
    **CHAT_FIRST_USAGE,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
}
STREAM_USAGE = {
    "prompt_tokens": 20,
    "completion_tokens": 12,
    "total_tokens": 32,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
    },
}
EMBEDDINGS_USAGE = {"prompt_tokens": 1000, "total_tokens": 1000}
RESPONSES_USAGE = {
    "input_tokens": 3000,
    "input_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 0},
    "output_tokens": 200,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 3200,
}
# xAI: completion_tokens EXCLUDES reasoning_tokens; total = prompt + completion + reasoning.
XAI_USAGE = {
    "prompt_tokens": 2000,
    "completion_tokens": 30,
    "total_tokens": 2090,
    "prompt_tokens_details": {"cached_tokens": 512, "text_tokens": 2000, "audio_tokens": 0, "image_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 60, "audio_tokens": 0,
        "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
    },
    "num_sources_used": 0,
}


def mock(usage: dict, **more: object) -> dict:
    return {"mock": {"usage": usage, **more}}


def main() -> int:
    client = openai.OpenAI()  # OPENAI_API_KEY, OPENAI_BASE_URL from the environment
    xai = openai.OpenAI(api_key=os.environ["XAI_API_KEY"], base_url=os.environ["XAI_BASE_URL"])
    seen: dict[str, object] = {}
    long_messages = [{"role": "user", "content": LONG_PROMPT}]

    # 1, 2: the same long prompt twice; the second is served mostly from the prompt cache.
    first = client.chat.completions.create(
        model="gpt-4o-mini", messages=long_messages, extra_body=mock(CHAT_FIRST_USAGE)
    )
    second = client.chat.completions.create(
        model="gpt-4o-mini", messages=long_messages, extra_body=mock(CHAT_CACHED_USAGE)
    )
    seen["chat_cached_tokens"] = [
        first.usage.prompt_tokens_details.cached_tokens,
        second.usage.prompt_tokens_details.cached_tokens,
    ]

    # 3: a stream; the app does not ask for usage (no stream_options).
    chunks = empty_choice_chunks = usage_chunks = 0
    text = []
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Stream me a short answer."}],
        stream=True,
        extra_body=mock(STREAM_USAGE, chunks=3),
    )
    for chunk in stream:
        chunks += 1
        if not chunk.choices:
            empty_choice_chunks += 1
        if chunk.usage is not None:
            usage_chunks += 1
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
    seen["stream_chunks"] = chunks
    seen["stream_empty_choice_chunks"] = empty_choice_chunks
    seen["stream_usage_chunks"] = usage_chunks
    seen["stream_text"] = "".join(text)

    # 4: embeddings.
    embedding = client.embeddings.create(
        model="text-embedding-3-small", input="quarterly cost report", extra_body=mock(EMBEDDINGS_USAGE)
    )
    seen["embedding_vectors"] = len(embedding.data)

    # 5: the Responses API.
    response = client.responses.create(
        model="gpt-4.1", input="Write one line about costs.", extra_body=mock(RESPONSES_USAGE)
    )
    seen["responses_text"] = response.output_text

    # 6: xAI through the openai SDK.
    grok = xai.chat.completions.create(
        model="grok-4-1-fast-reasoning",
        messages=[{"role": "user", "content": "Think, then answer briefly."}],
        extra_body=mock(XAI_USAGE),
    )
    seen["xai_completion_tokens"] = grok.usage.completion_tokens

    # 7: a model no price table knows (usage as the mock computes it).
    unknown = client.chat.completions.create(
        model="acme-internal-7b", messages=[{"role": "user", "content": "hello"}]
    )
    seen["unknown_usage"] = [unknown.usage.prompt_tokens, unknown.usage.completion_tokens]

    # 8: a rate-limited call, retried once by the SDK, then caught.
    try:
        client.with_options(max_retries=1).chat.completions.create(
            model="mock-error-429", messages=[{"role": "user", "content": "hi"}]
        )
        seen["error"] = None
    except openai.RateLimitError as error:
        seen["error"] = [type(error).__name__, error.status_code]

    print("RESULT " + json.dumps(seen), flush=True)
    print("READY", flush=True)
    sys.stdin.readline()  # the test says when (EOF also ends the wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
