"""The demo's AWS Bedrock (boto3) and Mistral (mistralai) calls, against their local mock providers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from genai_cost.demo.setup import API_KEY
from genai_cost.demo.workload import SYSTEM_PROMPT, Step

QUESTION = "My invoice shows two charges for March. Why?"
HAIKU_PROFILE = "us.anthropic.claude-3-5-haiku-20241022-v1:0"  # a cross-region inference profile


def bedrock_client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", endpoint_url=url, aws_access_key_id=API_KEY,
        aws_secret_access_key=API_KEY, config=Config(retries={"max_attempts": 1}),
    )  # fmt: skip


def _converse(client: Any, model: str) -> None:
    """The long system prompt marked as a cache point: written on first sight, read after."""
    client.converse(
        modelId=model,
        system=[{"text": SYSTEM_PROMPT}, {"cachePoint": {"type": "default"}}],
        messages=[{"role": "user", "content": [{"text": QUESTION}]}],
    )


def _llama_stream(client: Any) -> None:
    body = json.dumps({"prompt": QUESTION, "max_gen_len": 12})
    for _event in client.invoke_model_with_response_stream(modelId="meta.llama3-1-8b-instruct-v1:0", body=body)["body"]:
        pass


def bedrock_workload(client: Any) -> list[Step]:
    """Converse through an inference profile (cache write, then read), a Llama stream."""
    converse = f"bedrock converse {HAIKU_PROFILE}"
    return [
        Step(f"{converse}, system prompt cached (write)", lambda: _converse(client, HAIKU_PROFILE)),
        Step(f"{converse}, same prompt (cache read)", lambda: _converse(client, HAIKU_PROFILE)),
        Step("bedrock invoke stream meta.llama3-1-8b-instruct-v1:0", lambda: _llama_stream(client)),
    ]


def mistral_client(url: str) -> Any:
    from mistralai.client import Mistral

    return Mistral(api_key=API_KEY, server_url=url)


async def _mistral_stream(client: Any, model: str) -> None:
    async for _event in await client.chat.stream_async(model=model, messages=[{"role": "user", "content": QUESTION}]):
        pass


def mistral_workload(client: Any) -> list[Step]:
    """A chat and an async stream (Mistral reports a stream's usage unasked)."""
    messages = [{"role": "user", "content": QUESTION}]
    return [
        Step("mistral chat mistral-small-latest", lambda: client.chat.complete(model="mistral-small-latest",
                                                                              messages=messages)),
        Step("mistral chat stream mistral-large-2512 async", lambda: asyncio.run(_mistral_stream(client,
                                                                                               "mistral-large-2512"))),
    ]  # fmt: skip
