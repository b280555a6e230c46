"""The demo's workload: a support chat and its neighbours, through every instrumented SDK."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from genai_cost.demo.setup import API_KEY, OPENAI_FLAVORS

# --- the workload ---------------------------------------------------------------------------------

_RULES = (
    "Greet the customer by name when the account record gives one.",
    "Answer in the language the customer wrote in, in short paragraphs.",
    "Never promise a refund above the limit of the customer's plan.",
    "Quote prices from the current price list only, with the currency.",
    "Escalate to a human agent when the customer asks for one twice.",
    "Do not ask for passwords, card numbers or one-time codes, ever.",
    "Summarise the resolution in one sentence at the end of each answer.",
    "Link to the help centre article that covers the topic, if one exists.",
)


def _system_prompt() -> str:
    """A long, fixed system prompt (well over 1,024 tokens), so repeats hit the prompt cache."""
    rules = "\n".join(f"Rule {i + 1}: {_RULES[i % len(_RULES)]}" for i in range(96))
    return f"You are the support assistant of Example Corp. Follow these rules.\n{rules}"


SYSTEM_PROMPT = _system_prompt()


def support_chat(question: str) -> list[dict[str, str]]:
    """The long system prompt plus a question; the same question again is a prompt-cache hit."""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question}]


Messages = list[dict[str, str]]
SHORT_CHAT: Messages = [{"role": "user", "content": "Write a one-line status update for the team."}]


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[], object]
    expected_error: type[BaseException] | None = None  # the demo provokes this error on purpose


def _chat(client: openai.OpenAI, model: str, messages: Messages, **kwargs: Any) -> None:
    client.chat.completions.create(model=model, messages=messages, **kwargs)  # type: ignore[arg-type]


def _chat_stream(client: openai.OpenAI, model: str, messages: Messages, **kwargs: Any) -> None:
    for _chunk in client.chat.completions.create(model=model, messages=messages, stream=True, **kwargs):  # type: ignore[arg-type]
        pass


def _chat_stream_left_early(client: openai.OpenAI, model: str, messages: Messages) -> None:
    with client.chat.completions.create(model=model, messages=messages, stream=True) as stream:  # type: ignore[arg-type]
        for _chunk in stream:
            break  # the app has what it needs; the usage chunk never arrives


def _responses(client: openai.OpenAI, model: str, messages: Messages, stream: bool = False) -> None:
    response = client.responses.create(model=model, input=messages, stream=stream)  # type: ignore[arg-type,call-overload]
    for _event in response if stream else ():
        pass


def _embed(client: openai.OpenAI, model: str, texts: list[str]) -> None:
    client.embeddings.create(model=model, input=texts)


def _complete(client: openai.OpenAI, model: str, prompt: str) -> None:
    client.completions.create(model=model, prompt=prompt, max_tokens=16)


async def _achat(client: openai.AsyncOpenAI, model: str, messages: Messages) -> None:
    await client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]


async def _achat_stream(client: openai.AsyncOpenAI, model: str, messages: Messages) -> None:
    async for _chunk in await client.chat.completions.create(model=model, messages=messages, stream=True):  # type: ignore[arg-type]
        pass


def _with_async_client(base_url: str, action: Callable[[openai.AsyncOpenAI], Awaitable[object]]) -> Callable[[], None]:
    """A step that runs `action` with a fresh AsyncOpenAI client in its own event loop."""

    async def main() -> None:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=API_KEY) as client:
            await action(client)

    return lambda: asyncio.run(main())


def _claude(client: anthropic.Anthropic, model: str, question: str) -> None:
    client.messages.create(model=model, max_tokens=1024, messages=[{"role": "user", "content": question}])


def _claude_support(client: anthropic.Anthropic, model: str, question: str) -> None:
    """A question after the support system prompt, marked for Anthropic's prompt cache."""
    system = [{"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}]
    messages = [{"role": "user", "content": question}]
    client.messages.create(model=model, max_tokens=1024, system=system, messages=messages)  # type: ignore[arg-type]


def _claude_stream_thinking(client: anthropic.Anthropic, model: str, question: str) -> None:
    with client.messages.stream(
        model=model,
        max_tokens=2048,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": question}],
    ) as stream:
        for _text in stream.text_stream:
            pass


def _gemini(client: genai.Client, model: str, question: str) -> None:
    client.models.generate_content(model=model, contents=question)


def _gemini_support(client: genai.Client, model: str, question: str) -> None:
    config = genai_types.GenerateContentConfig(system_instruction=SYSTEM_PROMPT)
    client.models.generate_content(model=model, contents=question, config=config)


def _gemini_stream(client: genai.Client, model: str, question: str) -> None:
    for _chunk in client.models.generate_content_stream(model=model, contents=question):
        pass


def anthropic_workload(client: anthropic.Anthropic) -> list[Step]:
    """Prompt-cache write then read, a thinking stream, an unknown model, an overloaded API."""
    sonnet, haiku = "claude-sonnet-4-6", "claude-haiku-4-5"
    billing = "My invoice shows two charges for March. Why?"
    return [
        Step(f"anthropic {sonnet}, system prompt cached (write)", lambda: _claude_support(client, sonnet, billing)),
        Step(f"anthropic {sonnet}, same prompt (cache read)", lambda: _claude_support(client, sonnet, billing)),
        Step(f"anthropic stream {haiku}, thinking", lambda: _claude_stream_thinking(client, haiku, billing)),
        Step("anthropic acme-internal-13b (no known price)", lambda: _claude(client, "acme-internal-13b", billing)),
        Step(
            "anthropic mock-error-529 (overloaded)",
            lambda: _claude(client, "mock-error-529", billing),
            expected_error=anthropic.APIStatusError,
        ),
    ]


def google_genai_workload(client: genai.Client) -> list[Step]:
    """Implicit cache on a repeated prompt, a thinking stream, embeddings, an unknown model, an error."""
    flash, lite = "gemini-2.5-flash", "gemini-2.5-flash-lite"
    login = "I cannot log in since yesterday. What should I try?"
    return [
        Step(f"gemini {flash}, long system prompt", lambda: _gemini_support(client, flash, login)),
        Step(f"gemini {flash}, same prompt (implicit cache)", lambda: _gemini_support(client, flash, login)),
        Step(f"gemini stream {lite}, thinking", lambda: _gemini_stream(client, lite, login)),
        Step(
            "gemini embeddings gemini-embedding-001",
            lambda: client.models.embed_content(model="gemini-embedding-001", contents=list(_RULES)),
        ),
        Step("gemini acme-internal-70b (no known price)", lambda: _gemini(client, "acme-internal-70b", login)),
        Step(
            "gemini mock-error-503 (unavailable)",
            lambda: _gemini(client, "mock-error-503", login),
            expected_error=genai_errors.ServerError,
        ),
    ]


def build_workload(
    urls: Mapping[str, str], oai: openai.OpenAI, xai: openai.OpenAI, router: openai.OpenAI
) -> list[Step]:
    """The steps of the demo, in order; each one is a real SDK call over HTTP to a local mock."""
    mini, sonnet, grok = "gpt-4o-mini", "anthropic/claude-sonnet-4.6", "grok-4-1-fast-reasoning"
    no_retries = oai.with_options(max_retries=0)
    billing = support_chat("My invoice shows two charges for March. Why?")
    login = support_chat("I cannot log in since yesterday. What should I try?")
    on_openai = partial(_with_async_client, urls["openai"])
    on_router = partial(_with_async_client, urls["openrouter"])
    return [
        Step(f"chat {mini}, long system prompt", lambda: _chat(oai, mini, billing)),
        Step(f"chat {mini}, same prompt (cache hit)", lambda: _chat(oai, mini, billing)),
        Step(f"chat {mini} async, same prompt", on_openai(lambda c: _achat(c, mini, billing))),
        Step(
            f"chat stream {mini}, app asks usage",
            lambda: _chat_stream(oai, mini, billing, stream_options={"include_usage": True}),
        ),
        Step(f"chat stream {mini} async, app does not", on_openai(lambda c: _achat_stream(c, mini, billing))),
        Step("chat gpt-4.1, long system prompt", lambda: _chat(oai, "gpt-4.1", login)),
        Step("chat stream gpt-4.1, app stops early", lambda: _chat_stream_left_early(oai, "gpt-4.1", login)),
        Step("responses gpt-4.1, same prompt", lambda: _responses(oai, "gpt-4.1", login)),
        Step("chat gpt-5 (reasoning)", lambda: _chat(oai, "gpt-5", SHORT_CHAT, max_completion_tokens=40)),
        Step("responses stream gpt-5 (reasoning)", lambda: _responses(oai, "gpt-5", SHORT_CHAT, stream=True)),
        Step("chat o3-mini async (reasoning)", on_openai(lambda c: _achat(c, "o3-mini", SHORT_CHAT))),
        Step("embeddings text-embedding-3-small", lambda: _embed(oai, "text-embedding-3-small", list(_RULES) * 12)),
        Step("completion gpt-3.5-turbo-instruct", lambda: _complete(oai, "gpt-3.5-turbo-instruct", "Status: all")),
        Step(f"x_ai chat {grok}, long system prompt", lambda: _chat(xai, grok, billing)),
        Step(f"x_ai chat stream {grok}, same prompt", lambda: _chat_stream(xai, grok, billing)),
        Step(f"openrouter chat {sonnet}", lambda: _chat(router, sonnet, billing)),
        Step(f"openrouter chat stream {sonnet} async", on_router(lambda c: _achat_stream(c, sonnet, billing))),
        Step("chat acme-internal-7b (no known price)", lambda: _chat(oai, "acme-internal-7b", SHORT_CHAT)),
        Step(
            "chat mock-error-429 (rate limited)",
            lambda: _chat(no_retries, "mock-error-429", SHORT_CHAT),
            expected_error=openai.RateLimitError,
        ),
    ]


def run_steps(steps: list[Step]) -> int:
    """Run every step, one progress line each on stderr; returns how many failed unexpectedly."""
    failures = 0
    width = len(str(len(steps)))
    for number, step in enumerate(steps, 1):
        status = "ok"
        try:
            step.run()
        except Exception as error:
            if step.expected_error and isinstance(error, step.expected_error):
                status = f"ok (expected {type(error).__name__})"
            else:
                failures += 1
                status = f"FAILED ({type(error).__name__})"
        print(f"[{number:>{width}}/{len(steps)}] {step.label} ... {status}", file=sys.stderr, flush=True)
    return failures


def run_workload(urls: Mapping[str, str]) -> int:
    from genai_cost.demo import workload_aws_mistral as more  # it builds on this module's Step

    with ExitStack() as stack:
        oai, xai, router = (
            stack.enter_context(openai.OpenAI(base_url=urls[flavor], api_key=API_KEY)) for flavor in OPENAI_FLAVORS
        )
        claude = stack.enter_context(anthropic.Anthropic(base_url=urls["anthropic"], api_key=API_KEY, max_retries=0))
        gemini = genai.Client(api_key=API_KEY, http_options=genai_types.HttpOptions(base_url=urls["gemini"]))
        stack.callback(gemini.close)
        steps = build_workload(urls, oai, xai, router) + anthropic_workload(claude) + google_genai_workload(gemini)
        steps += more.bedrock_workload(more.bedrock_client(urls["bedrock"]))
        steps += more.mistral_workload(more.mistral_client(urls["mistral"]))
        return run_steps(steps)
