"""A plain app using the openai, anthropic, google-genai, boto3 (Bedrock) and mistralai SDKs and the
LiteLLM library, with no OpenTelemetry code, for the zero-code end-to-end test.

Run it as ``opentelemetry-instrument python genai_app.py``. It reads only what any such app reads,
and each SDK picks its settings up by itself: OPENAI_API_KEY / OPENAI_BASE_URL, ANTHROPIC_API_KEY /
ANTHROPIC_BASE_URL, GEMINI_API_KEY / GOOGLE_GEMINI_BASE_URL, boto3's AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION / AWS_ENDPOINT_URL_BEDROCK_RUNTIME, MISTRAL_API_KEY; plus
XAI_API_KEY / XAI_BASE_URL for an xAI client made with the openai SDK, MISTRAL_SERVER_URL for the
Mistral client's server, and the OpenAI and Anthropic base URLs handed to LiteLLM as its api_base.

It makes a fixed list of calls against the local mock providers (openai, then anthropic, then
google-genai, then Bedrock, Mistral and LiteLLM), prints one line ``RESULT {json}`` saying what
the app itself saw, then ``READY``,
and waits for a line on stdin (the test scrapes the Prometheus endpoint meanwhile) before it exits
with code 0.

Token usage of most calls is forced with the mock provider's ``{"mock": {"usage": ...}}`` control
in the request body, so the test can compute every cost by hand; the shapes are those of the real
APIs. The others follow the mock's documented token formula. The test file repeats these numbers
as its hand-written expectations.
"""

from __future__ import annotations

import json
import os
import sys

import anthropic
import boto3
import litellm
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from mistralai.client import Mistral

# >= 1024 tokens by any count (the mock: ceil(chars / 4) + 4 per message = 1028).
LONG_PROMPT = ("Summarise the cost report for the quarter in one line. " * 80)[:4096]

CHAT_FIRST_USAGE = {
    "prompt_tokens": 1028,
    "completion_tokens": 12,
    "total_tokens": 1040,
    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
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
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
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
        "reasoning_tokens": 60,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
    "num_sources_used": 0,
}


def mock(usage: dict, **more: object) -> dict:
    return {"mock": {"usage": usage, **more}}


def openai_calls(seen: dict[str, object]) -> None:
    client = openai.OpenAI()  # OPENAI_API_KEY, OPENAI_BASE_URL from the environment
    xai = openai.OpenAI(api_key=os.environ["XAI_API_KEY"], base_url=os.environ["XAI_BASE_URL"])
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
    unknown = client.chat.completions.create(model="acme-internal-7b", messages=[{"role": "user", "content": "hello"}])
    seen["unknown_usage"] = [unknown.usage.prompt_tokens, unknown.usage.completion_tokens]

    # 8: a rate-limited call, retried once by the SDK, then caught.
    try:
        client.with_options(max_retries=1).chat.completions.create(
            model="mock-error-429", messages=[{"role": "user", "content": "hi"}]
        )
        seen["error"] = None
    except openai.RateLimitError as error:
        seen["error"] = [type(error).__name__, error.status_code]


ANTHROPIC_QUESTION = [{"role": "user", "content": "What is 10 + 5?"}]
# Anthropic input_tokens EXCLUDES the cache: 50 + 3000 read + 1400 written (1000 for 5 minutes, 400 for 1 hour).
ANTHROPIC_CACHED_USAGE = {
    "input_tokens": 50,
    "cache_read_input_tokens": 3000,
    "cache_creation_input_tokens": 1400,
    "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 400},
    "output_tokens": 200,
    "service_tier": "standard",
}


def anthropic_calls(seen: dict[str, object]) -> None:
    client = anthropic.Anthropic(max_retries=0)  # ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL
    # 9: prompt cache read and written.
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=300,
        messages=ANTHROPIC_QUESTION,
        extra_body=mock(ANTHROPIC_CACHED_USAGE),
    )
    seen["anthropic_usage"] = [message.usage.input_tokens, message.usage.cache_read_input_tokens]
    # 10: a stream with extended thinking (usage by the mock's formula).
    with client.messages.stream(
        model="claude-sonnet-4-5",
        max_tokens=2048,
        messages=ANTHROPIC_QUESTION,
        thinking={"type": "enabled", "budget_tokens": 1024},
    ) as stream:
        seen["anthropic_stream_text"] = "".join(stream.text_stream)
    # 11: a model no price table knows.
    unknown = client.messages.create(model="acme-internal-13b", max_tokens=100, messages=ANTHROPIC_QUESTION)
    seen["anthropic_unknown_usage"] = [unknown.usage.input_tokens, unknown.usage.output_tokens]
    # 12: rate limited, not retried.
    try:
        client.messages.create(model="mock-error-429", max_tokens=100, messages=ANTHROPIC_QUESTION)
        seen["anthropic_error"] = None
    except anthropic.RateLimitError as error:
        seen["anthropic_error"] = [type(error).__name__, error.status_code]


# Gemini's prompt_token_count INCLUDES the cached tokens; tool-use prompt tokens and thoughts are
# reported apart and billed as input and output.
GEMINI_USAGE = {
    "promptTokenCount": 5000, "cachedContentTokenCount": 4096, "toolUsePromptTokenCount": 300,
    "candidatesTokenCount": 200, "thoughtsTokenCount": 800, "totalTokenCount": 6300,
}  # fmt: skip


def google_genai_calls(seen: dict[str, object]) -> None:
    client = genai.Client()  # GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL
    # 13: implicit cache, tool-use prompt tokens and thoughts.
    forced = types.GenerateContentConfig(http_options=types.HttpOptions(extra_body=mock(GEMINI_USAGE)))
    response = client.models.generate_content(model="gemini-2.5-flash", contents="hello", config=forced)
    seen["gemini_prompt_tokens"] = response.usage_metadata.prompt_token_count
    # 14: a stream of a thinking model (usage by the mock's formula).
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hello there"))
    seen["gemini_stream"] = [len(chunks), "".join(chunk.text or "" for chunk in chunks)]
    # 15: a model no price table knows.
    unknown = client.models.generate_content(model="acme-internal-70b", contents="hello there")
    seen["gemini_unknown_usage"] = [
        unknown.usage_metadata.prompt_token_count,
        unknown.usage_metadata.candidates_token_count,
    ]
    # 16: rate limited.
    try:
        client.models.generate_content(model="mock-error-429", contents="hi")
        seen["gemini_error"] = None
    except genai_errors.ClientError as error:
        seen["gemini_error"] = [type(error).__name__, error.code]


# Converse's usage: inputTokens EXCLUDES the cache reads and writes reported beside it.
BEDROCK_USAGE = {"inputTokens": 100, "outputTokens": 50, "totalTokens": 2150, "cacheReadInputTokens": 1500,
                 "cacheWriteInputTokens": 500}  # fmt: skip
QUESTION = [{"role": "user", "content": "What is 10 + 5?"}]


def bedrock_calls(seen: dict[str, object]) -> None:
    client = boto3.client("bedrock-runtime")  # AWS_* variables, the endpoint included
    # 17: Converse through a cross-region inference profile, with cache reads and writes.
    response = client.converse(
        modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0",
        messages=[{"role": "user", "content": [{"text": "What is 10 + 5?"}]}],
        additionalModelRequestFields=mock(BEDROCK_USAGE),
    )
    seen["bedrock_usage"] = [response["usage"]["inputTokens"], response["usage"]["cacheReadInputTokens"]]
    # 18: a Llama stream through InvokeModelWithResponseStream (usage by the mock's formula).
    stream = client.invoke_model_with_response_stream(
        modelId="meta.llama3-1-8b-instruct-v1:0", body=json.dumps({"prompt": "Tell me a joke about owls.",
                                                                    "max_gen_len": 7})
    )  # fmt: skip
    seen["bedrock_stream_text"] = "".join(json.loads(e["chunk"]["bytes"])["generation"] for e in stream["body"])


def mistral_and_litellm_calls(seen: dict[str, object]) -> None:
    # 19: Mistral's own SDK (usage by the mock's formula).
    mistral = Mistral(api_key=os.environ["MISTRAL_API_KEY"], server_url=os.environ["MISTRAL_SERVER_URL"])
    seen["mistral_usage"] = mistral.chat.complete(model="mistral-small-latest", messages=QUESTION).usage.prompt_tokens
    # 20, 21: LiteLLM to OpenAI: a chat, and an embedding LiteLLM sends through the openai SDK.
    openai_base = os.environ["OPENAI_BASE_URL"]
    litellm.completion(model="openai/gpt-4o-mini", messages=QUESTION, api_base=openai_base)
    litellm.embedding(model="openai/text-embedding-3-small", input=["owls at night"], api_base=openai_base)
    # 22: LiteLLM to Anthropic, streamed: usage only because genai-cost asked LiteLLM for it.
    chunks = list(litellm.completion(model="anthropic/claude-sonnet-4-5", messages=QUESTION, stream=True,
                                     api_base=os.environ["ANTHROPIC_BASE_URL"]))  # fmt: skip
    seen["litellm_stream_usage_chunks"] = sum(1 for chunk in chunks if getattr(chunk, "usage", None))


def main() -> int:
    seen: dict[str, object] = {}
    openai_calls(seen)
    anthropic_calls(seen)
    google_genai_calls(seen)
    bedrock_calls(seen)
    mistral_and_litellm_calls(seen)
    print("RESULT " + json.dumps(seen), flush=True)
    print("READY", flush=True)
    sys.stdin.readline()  # the test says when (EOF also ends the wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
