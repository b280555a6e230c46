"""What the robustness suite needs from each SDK, in one small table, and shared fixtures.

Every test here is written against `Sdk`, so another SDK joins the suite by adding a row to
`SDKS`: how to build its clients, make a plain and a streamed call with a forced usage, read
usage back as the app sees it, and which peer instrumentations exist for it.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.robustness.transport import in_process

M = 1_000_000
USER = [{"role": "user", "content": "What is 10 + 5?"}]
OPENAI_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Peer:
    """Another instrumentation of the same SDK, and the scope name of its spans and metrics."""

    name: str
    module: str  # import path of its instrumentor class
    scope_prefix: str


@dataclass(frozen=True)
class Sdk:
    name: str
    instrumentor: Callable[[], Any]
    client: Callable[[str, Any], Any]  # (base_url, httpx2 transport or None) -> sync client
    # The async variants are None for an SDK that has no async API (boto3).
    async_client: Callable[[str, Any], Any] | None
    # (client, model, usage on the wire or None) -> response; stream variants return the stream unread
    plain: Callable[[Any, str, dict[str, Any] | None], Any]
    async_plain: Callable[[Any, str, dict[str, Any] | None], Awaitable[Any]] | None
    stream: Callable[[Any, str, dict[str, Any] | None], Any]
    stream_asking_usage: Callable[[Any, str, dict[str, Any] | None], Any]  # the app asks for usage itself
    async_stream: Callable[[Any, str, dict[str, Any] | None], Awaitable[Any]] | None
    wire_usage: Callable[[int, int, int], dict[str, Any]]  # (input, output, cache read) as the API sends it
    model: str  # a model with a bundled price
    rates: tuple[float, float, float]  # USD per million: input, cache read, output (genai-prices 0.2.3)
    provider_name: str
    patched: tuple[str, ...]  # "module:Class.method" genai-cost wraps
    # Mock replay records of responses in shapes the SDK's models do not describe: the first with
    # no readable usage, the second with 40 input and 4 output tokens of `model` amid unknown fields.
    newer_shapes: tuple[dict[str, Any], ...]
    # (client, record id) -> the replayed response; None where no newer shapes are recorded
    replay: Callable[[Any, str], Any] | None
    # The main patched method, bound to a client, and the request arguments of a plain call to it.
    method: Callable[[Any], Any]
    request: Callable[[str, dict[str, Any] | None], dict[str, Any]]  # (model, usage on the wire)
    peers: tuple[Peer, ...] = field(default=())
    flavor: str = "openai"  # the mock provider's wire format
    # Whether a stream's first chunks already carry usage (Anthropic's message_start, Gemini's
    # running usage_metadata), so that a stream left early is priced from what it had read.
    early_stream_usage: bool = False

    def cost(self, input_tokens: int, output_tokens: int, cache_read: int = 0) -> float:
        rate_in, rate_cached, rate_out = self.rates
        return ((input_tokens - cache_read) * rate_in + cache_read * rate_cached + output_tokens * rate_out) / M


# --- openai ------------------------------------------------------------------------------------


def _openai_client(base_url: str, transport: Any) -> Any:
    import openai

    http_client = httpx2.Client(transport=transport) if transport is not None else None
    return openai.OpenAI(api_key="test-key", base_url=base_url, max_retries=0, http_client=http_client)


def _openai_async_client(base_url: str, transport: Any) -> Any:
    import openai

    http_client = httpx2.AsyncClient(transport=transport) if transport is not None else None
    return openai.AsyncOpenAI(api_key="test-key", base_url=base_url, max_retries=0, http_client=http_client)


def _mock_body(usage: dict[str, Any] | None) -> dict[str, Any]:
    return {"extra_body": {"mock": {"usage": usage}}} if usage is not None else {}


def _openai_request(model: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    return {"model": model, "messages": USER, **_mock_body(usage)}


def _openai_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.chat.completions.create(model=model, messages=USER, **_mock_body(usage))


async def _openai_async_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.chat.completions.create(model=model, messages=USER, **_mock_body(usage))


def _openai_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.chat.completions.create(model=model, messages=USER, stream=True, **_mock_body(usage))


def _openai_stream_asking_usage(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.chat.completions.create(
        model=model, messages=USER, stream=True, stream_options={"include_usage": True}, **_mock_body(usage)
    )


async def _openai_async_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.chat.completions.create(model=model, messages=USER, stream=True, **_mock_body(usage))


def _openai_wire_usage(input_tokens: int, output_tokens: int, cache_read: int) -> dict[str, Any]:
    return {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "prompt_tokens_details": {"cached_tokens": cache_read},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


_OPENAI_NEWER_SHAPES = (
    {  # usage reported where a newer API version might put it, and choices as an object
        "id": "newer-usage-elsewhere",
        "status": 200,
        "content_type": "application/json",
        "request": {"stream": False},
        "body": json.dumps({
            "id": "chatcmpl-newer-1", "object": "chat.completion.v2", "created": 1, "model": "gpt-4o-mini",
            "choices": {"0": {"message": {"role": "assistant", "content": "hi"}}},
            "usage": "see billing.tokens", "billing": {"tokens": {"in": 10, "out": 2}},
        }),
    },
    {  # familiar usage, unfamiliar everything else: what can be read is priced
        "id": "newer-extra-fields",
        "status": 200,
        "content_type": "application/json",
        "request": {"stream": False},
        "body": json.dumps({
            "id": "chatcmpl-newer-2", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi",
                                                                           "new_part": {"kind": "x"}}}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 4, "total_tokens": 44,
                      "prompt_tokens_details": {"cached_tokens": 0, "new_kind_tokens": 9},
                      "new_section": {"tokens": 1}},
        }),
    },
)  # fmt: skip


def _openai_replay(client: Any, record_id: str) -> Any:
    return client.chat.completions.create(model=OPENAI_MODEL, messages=USER, extra_body={"mock": {"replay": record_id}})


def _openai_instrumentor() -> Any:
    from genai_cost.openai import OpenAICostInstrumentor

    return OpenAICostInstrumentor()


def _patched(wrappers_module: str) -> tuple[str, ...]:
    """ "module:Class.method" of every method an SDK package declares."""
    patches = importlib.import_module(wrappers_module).PATCHES
    return tuple(f"{patch.module}:{patch.method}" for patch in patches)


OPENAI = Sdk(
    name="openai",
    instrumentor=_openai_instrumentor,
    client=_openai_client,
    async_client=_openai_async_client,
    plain=_openai_plain,
    async_plain=_openai_async_plain,
    stream=_openai_stream,
    stream_asking_usage=_openai_stream_asking_usage,
    async_stream=_openai_async_stream,
    wire_usage=_openai_wire_usage,
    model=OPENAI_MODEL,
    rates=(0.15, 0.075, 0.60),
    provider_name="openai",
    patched=_patched("genai_cost.openai.wrappers"),
    newer_shapes=_OPENAI_NEWER_SHAPES,
    replay=_openai_replay,
    method=lambda client: client.chat.completions.create,
    request=_openai_request,
    peers=(
        Peer("official", "opentelemetry.instrumentation.genai.openai", "opentelemetry.instrumentation.genai"),
        Peer("openllmetry", "opentelemetry.instrumentation.openai", "opentelemetry.instrumentation.openai"),
    ),
)

# --- anthropic ---------------------------------------------------------------------------------


def _anthropic_client(base_url: str, transport: Any) -> Any:
    import anthropic

    http_client = httpx2.Client(transport=transport) if transport is not None else None
    root = base_url.removesuffix("/v1")  # the SDK adds /v1 itself
    return anthropic.Anthropic(api_key="test-key", base_url=root, max_retries=0, http_client=http_client)


def _anthropic_async_client(base_url: str, transport: Any) -> Any:
    import anthropic

    http_client = httpx2.AsyncClient(transport=transport) if transport is not None else None
    root = base_url.removesuffix("/v1")
    return anthropic.AsyncAnthropic(api_key="test-key", base_url=root, max_retries=0, http_client=http_client)


def _anthropic_request(model: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    return {"model": model, "max_tokens": 64, "messages": USER, **_mock_body(usage)}


def _anthropic_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.messages.create(**_anthropic_request(model, usage))


async def _anthropic_async_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.messages.create(**_anthropic_request(model, usage))


def _anthropic_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.messages.create(**_anthropic_request(model, usage), stream=True)


async def _anthropic_async_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.messages.create(**_anthropic_request(model, usage), stream=True)


def _anthropic_wire_usage(input_tokens: int, output_tokens: int, cache_read: int) -> dict[str, Any]:
    return {  # Anthropic's input_tokens leave the cache out
        "input_tokens": input_tokens - cache_read,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": 0,
        "output_tokens": output_tokens,
    }


def _anthropic_instrumentor() -> Any:
    from genai_cost.anthropic import AnthropicCostInstrumentor

    return AnthropicCostInstrumentor()


ANTHROPIC = Sdk(
    name="anthropic",
    instrumentor=_anthropic_instrumentor,
    client=_anthropic_client,
    async_client=_anthropic_async_client,
    plain=_anthropic_plain,
    async_plain=_anthropic_async_plain,
    stream=_anthropic_stream,
    stream_asking_usage=_anthropic_stream,  # usage is always in the stream
    async_stream=_anthropic_async_stream,
    wire_usage=_anthropic_wire_usage,
    model="claude-sonnet-4-5",
    rates=(3.0, 0.30, 15.0),
    provider_name="anthropic",
    patched=_patched("genai_cost.anthropic.wrappers"),
    newer_shapes=(),
    replay=None,
    method=lambda client: client.messages.create,
    request=_anthropic_request,
    flavor="anthropic",
    early_stream_usage=True,
)


# --- google-genai ------------------------------------------------------------------------------


def _gemini_client(base_url: str, transport: Any) -> Any:
    from google import genai
    from google.genai import types

    options: dict[str, Any] = {"base_url": base_url.removesuffix("/v1")}
    if transport is not None:
        options["httpx_client"] = httpx2.Client(transport=transport)
        options["httpx_async_client"] = httpx2.AsyncClient(transport=transport)
    return genai.Client(api_key="test-key", http_options=types.HttpOptions(**options))


def _gemini_async_client(base_url: str, transport: Any) -> Any:
    return _gemini_client(base_url, transport).aio


def _gemini_request(model: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    from google.genai import types

    config = types.GenerateContentConfig(http_options=types.HttpOptions(**_mock_body(usage))) if usage else None
    return {"model": model, "contents": "What is 10 + 5?", "config": config}


def _gemini_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.models.generate_content(**_gemini_request(model, usage))


async def _gemini_async_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.models.generate_content(**_gemini_request(model, usage))


def _gemini_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.models.generate_content_stream(**_gemini_request(model, usage))


async def _gemini_async_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.models.generate_content_stream(**_gemini_request(model, usage))


def _gemini_wire_usage(input_tokens: int, output_tokens: int, cache_read: int) -> dict[str, Any]:
    usage = {"promptTokenCount": input_tokens, "candidatesTokenCount": output_tokens,
             "totalTokenCount": input_tokens + output_tokens}  # fmt: skip
    if cache_read:
        usage["cachedContentTokenCount"] = cache_read
    return usage


def _gemini_instrumentor() -> Any:
    from genai_cost.google_genai import GoogleGenAICostInstrumentor

    return GoogleGenAICostInstrumentor()


GOOGLE_GENAI = Sdk(
    name="google-genai",
    instrumentor=_gemini_instrumentor,
    client=_gemini_client,
    async_client=_gemini_async_client,
    plain=_gemini_plain,
    async_plain=_gemini_async_plain,
    stream=_gemini_stream,
    stream_asking_usage=_gemini_stream,
    async_stream=_gemini_async_stream,
    wire_usage=_gemini_wire_usage,
    model="gemini-2.5-flash",
    rates=(0.30, 0.03, 2.50),
    provider_name="gcp.gemini",
    patched=_patched("genai_cost.google_genai.wrappers"),
    newer_shapes=(),
    replay=None,
    method=lambda client: client.models.generate_content,
    request=_gemini_request,
    flavor="gemini",
    early_stream_usage=True,
)

# --- mistralai ---------------------------------------------------------------------------------
# Its SDK has no extra_body: the mock's controls go in the request's free-form `metadata`. Its
# clients take an httpx client, not httpx2, so it runs in the suites that go over real HTTP.


def _mistral_client(base_url: str, transport: Any) -> Any:
    from mistralai.client import Mistral

    return Mistral(api_key="test-key", server_url=base_url.removesuffix("/v1"))


def _mistral_request(model: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    return {"model": model, "messages": USER, **({"metadata": {"mock": {"usage": usage}}} if usage is not None else {})}


async def _mistral_async_plain(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.chat.complete_async(**_mistral_request(model, usage))


async def _mistral_async_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return await client.chat.stream_async(**_mistral_request(model, usage))


def _mistral_instrumentor() -> Any:
    from genai_cost.mistral import MistralCostInstrumentor

    return MistralCostInstrumentor()


MISTRAL = Sdk(
    name="mistralai",
    instrumentor=_mistral_instrumentor,
    client=_mistral_client,
    async_client=_mistral_client,
    plain=lambda client, model, usage: client.chat.complete(**_mistral_request(model, usage)),
    async_plain=_mistral_async_plain,
    stream=lambda client, model, usage: client.chat.stream(**_mistral_request(model, usage)),
    stream_asking_usage=lambda client, model, usage: client.chat.stream(**_mistral_request(model, usage)),
    async_stream=_mistral_async_stream,
    wire_usage=_openai_wire_usage,  # Mistral's usage has OpenAI's shape
    model="mistral-small-latest",
    rates=(0.15, 0.015, 0.60),
    provider_name="mistral_ai",
    patched=_patched("genai_cost.mistral.wrappers"),
    newer_shapes=(),
    replay=None,
    method=lambda client: client.chat.complete,
    request=_mistral_request,
    flavor="mistral",
)

# --- boto3 bedrock-runtime ----------------------------------------------------------------------
# Converse has no free-form top-level field: the mock's controls go in `additionalModelRequestFields`.
# boto3 speaks neither httpx nor httpx2 (it goes over real HTTP), and has no async client.


def _bedrock_client(base_url: str, transport: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=base_url.removesuffix("/v1"),
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret",
        config=Config(retries={"max_attempts": 1}),
    )


_BEDROCK_USER = [{"role": "user", "content": [{"text": USER[0]["content"]}]}]


def _bedrock_request(model: str, usage: dict[str, Any] | None) -> dict[str, Any]:
    request: dict[str, Any] = {"modelId": model, "messages": _BEDROCK_USER}
    if usage is not None:
        request["additionalModelRequestFields"] = {"mock": {"usage": usage}}
    return request


def _bedrock_wire_usage(input_tokens: int, output_tokens: int, cache_read: int) -> dict[str, Any]:
    usage = {  # Converse's inputTokens leave the cache out; totalTokens is the sum of every count
        "inputTokens": input_tokens - cache_read,
        "outputTokens": output_tokens,
        "totalTokens": input_tokens + output_tokens,
    }
    if cache_read:
        usage["cacheReadInputTokens"] = cache_read
    return usage


def _bedrock_stream(client: Any, model: str, usage: dict[str, Any] | None) -> Any:
    return client.converse_stream(**_bedrock_request(model, usage))["stream"]


def _bedrock_instrumentor() -> Any:
    from genai_cost.bedrock import BedrockCostInstrumentor

    return BedrockCostInstrumentor()


BEDROCK = Sdk(
    name="bedrock",
    instrumentor=_bedrock_instrumentor,
    client=_bedrock_client,
    async_client=None,
    plain=lambda client, model, usage: client.converse(**_bedrock_request(model, usage)),
    async_plain=None,
    stream=_bedrock_stream,
    stream_asking_usage=_bedrock_stream,  # the metadata event always carries usage
    async_stream=None,
    wire_usage=_bedrock_wire_usage,
    model="amazon.nova-lite-v1:0",
    rates=(0.06, 0.015, 0.24),
    provider_name="aws.bedrock",
    patched=_patched("genai_cost.bedrock.wrappers"),
    newer_shapes=(),
    replay=None,
    method=lambda client: client.converse,
    request=_bedrock_request,
    flavor="bedrock",
)

SDKS: dict[str, Sdk] = {sdk.name: sdk for sdk in (OPENAI,)}
# The SDKs the fault and concurrency suites run for.
ALL_SDKS: dict[str, Sdk] = {sdk.name: sdk for sdk in (OPENAI, ANTHROPIC, GOOGLE_GENAI)}
# The fault suite goes over real HTTP: SDKs without an httpx2 transport join it too.
FAULT_SDKS: dict[str, Sdk] = {**ALL_SDKS, MISTRAL.name: MISTRAL, BEDROCK.name: BEDROCK}
# The provider's real host: detected as the provider (stream usage requested), nothing leaves the process.
IN_PROCESS_URL = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "google-genai": "https://generativelanguage.googleapis.com",
}


@pytest.fixture(params=list(SDKS.values()), ids=list(SDKS))
def sdk(request: pytest.FixtureRequest) -> Sdk:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def cost_instrumented(sdk: Sdk, pipeline: Pipeline) -> Iterator[Any]:
    """genai-cost's instrumentor of `sdk`, on the test's pipeline."""
    instrumentor = sdk.instrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def in_process_mock() -> MockProvider:
    return MockProvider()


def local_client(sdk: Sdk, mock: MockProvider, asynchronous: bool = False) -> Any:
    make = sdk.async_client if asynchronous else sdk.client
    return make(IN_PROCESS_URL[sdk.name], in_process(mock))


# --- reading what was recorded -------------------------------------------------------------------


def ours(pipeline: Pipeline) -> list[Any]:
    return [s for s in pipeline.finished() if s.instrumentation_scope.name == names.SCOPE_NAME]


def counter(pipeline: Pipeline, name: str, **labels: str) -> float:
    return sum(
        value for attrs, value in pipeline.metrics().get(name, []) if all(attrs.get(k) == v for k, v in labels.items())
    )


def tokens_by_type(pipeline: Pipeline) -> dict[str, float]:
    totals: dict[str, float] = {}
    for attrs, value in pipeline.metrics().get(names.METRIC_TOKENS, []):
        totals[attrs[names.TOKEN_TYPE]] = totals.get(attrs[names.TOKEN_TYPE], 0) + value
    return totals


def close(actual: float, expected: float) -> bool:
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)
