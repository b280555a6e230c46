"""Every recorded OpenAI-format response, replayed through the real openai SDK over real HTTP.

The local MockProvider serves each record of tests/data/realdata_openai_format.jsonl verbatim
(`extra_body={"mock": {"replay": id}}`: recorded body, status and content type). The SDK call runs
under the real instrumentation with an in-memory OTel SDK pipeline, and the test reads the span and
the metrics genai-cost produced. One mock per provider; GENAI_COST_PROVIDER_MAP maps each mock's
127.0.0.1:<port> to the provider the record was recorded from.

Expected costs are hand-written arithmetic on per-million-token prices copied as literals from
genai-prices 0.2.3 (prices in force in 2026-11; each case was checked once against
genai_prices.calc_price while writing this file). OpenRouter and xAI report the cost themselves
and that cost wins (docs/design.md "Cost rules").
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from genai_cost import config, endpoints, names
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_openai_format.jsonl"
RECORDS: dict[str, dict[str, Any]] = {
    record["id"]: record
    for record in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip())
}
OPERATION = {
    "chat.completions": names.OP_CHAT,
    "responses": names.OP_CHAT,
    "embeddings": names.OP_EMBEDDINGS,
    "completions": names.OP_TEXT_COMPLETION,
}
API_SUFFIX = {
    "chat.completions": "/chat/completions",
    "responses": "/responses",
    "embeddings": "/embeddings",
    "completions": "/completions",
}

# --- prices: USD per million tokens (web search: per thousand calls), literals from genai-prices 0.2.3
M = 1_000_000
# openai (and azure) gpt-4o-mini
GPT_4O_MINI_IN, GPT_4O_MINI_CACHED, GPT_4O_MINI_OUT = 0.15, 0.075, 0.6
# gpt-5-nano (openai and azure)
GPT_5_NANO_IN, GPT_5_NANO_OUT = 0.05, 0.4
# gpt-5: standard, priority and flex service tiers
GPT_5_IN, GPT_5_CACHED, GPT_5_OUT = 1.25, 0.125, 10.0
GPT_5_PRIORITY_IN, GPT_5_PRIORITY_OUT = 2.5, 20.0
GPT_5_FLEX_IN, GPT_5_FLEX_OUT = 0.625, 5.0
# gpt-5.6-sol, price from 2026-08-21 (below the 272k-token tier)
GPT_56_SOL_IN, GPT_56_SOL_CACHED, GPT_56_SOL_WRITE, GPT_56_SOL_OUT = 4.0, 0.4, 5.0, 20.0
WEB_SEARCH_PER_K = 10.0  # openai web search calls (gpt-5, gpt-5.6-sol)
O3_MINI_IN, O3_MINI_OUT = 1.1, 4.4
GPT_4O_AUDIO_IN, GPT_4O_AUDIO_OUT = 2.5, 10.0  # no separate audio input price: audio at the input rate
GPT_41_IN, GPT_41_OUT = 2.0, 8.0
ADA_002_IN = 0.1
GPT_35_INSTRUCT_IN, GPT_35_INSTRUCT_OUT = 1.5, 2.0
# DeepSeek prices by time of day (UTC): (input, cached input, output) in and out of the peak windows.
DEEPSEEK_V4_FLASH_PEAK = ((time(1, 0), time(4, 0)), (time(6, 0), time(10, 0)))
DEEPSEEK_V4_FLASH_RATES = {True: (0.3, 0.006, 1.2), False: (0.15, 0.003, 0.6)}
DEEPSEEK_REASONER_PEAK = ((time(0, 30), time(16, 30)),)
DEEPSEEK_REASONER_RATES = {True: (0.55, 0.14, 2.19), False: (0.135, 0.035, 0.55)}
GROQ_LLAMA3_8B_IN, GROQ_LLAMA3_8B_OUT = 0.05, 0.08
GROQ_GPT_OSS_120B_IN, GROQ_GPT_OSS_120B_OUT = 0.15, 0.6
MISTRAL_TINY_IN, MISTRAL_TINY_OUT = 0.25, 0.25
TOGETHER_MIXTRAL_IN, TOGETHER_MIXTRAL_OUT = 0.9, 0.9
# rates that only matter for cache savings of calls whose cost the provider reported
GROK_41_FAST_IN, GROK_41_FAST_CACHED = 0.2, 0.05
GROK_3_IN, GROK_3_CACHED = 3.0, 0.75


@dataclass(frozen=True)
class Expect:
    """What the span must say about one replayed record (tokens per the rules of docs/design.md)."""

    response_model: str
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost: float | None = None  # USD; None: unpriced (see `unpriced`)
    savings: float = 0.0
    source: str = "bundled"
    entry: str | None = None
    tier: str | None = None  # genai_cost.price.tier, only for non-standard tiers
    unpriced: str | None = None  # genai_cost.unpriced.reason
    no_usage: bool = False
    marks: tuple[Any, ...] = field(default=())
    # Prices that change with the time of day: (input, cached, output) per million at the call's start;
    # cost and savings are then computed from the token counts above.
    rates_at: Callable[[datetime], tuple[float, float, float]] | None = None

    def priced_at(self, start: datetime) -> tuple[float | None, float]:
        if self.rates_at is None:
            return self.cost, self.savings
        rate_in, rate_cached, rate_out = self.rates_at(start)
        uncached = self.input - self.cache_read
        cost = (uncached * rate_in + self.cache_read * rate_cached + self.output * rate_out) / M
        return cost, self.cache_read * (rate_in - rate_cached) / M


def by_time_of_day(
    peak: tuple[tuple[time, time], ...], rates: dict[bool, tuple[float, float, float]]
) -> Callable[[datetime], tuple[float, float, float]]:
    def rates_at(start: datetime) -> tuple[float, float, float]:
        return rates[any(begin <= start.time() < end for begin, end in peak)]

    return rates_at


EXPECTED: dict[str, Expect] = {
    # --- OpenAI chat ------------------------------------------------------------------------------
    "openai-chat-gpt-4o-mini-prompt-cache-miss": Expect(
        "gpt-4o-mini-2024-07-18",
        1149,
        315,
        cost=(1149 * GPT_4O_MINI_IN + 315 * GPT_4O_MINI_OUT) / M,
        entry="openai/gpt-4o-mini",
    ),
    "openai-chat-gpt-4o-mini-prompt-cache-hit": Expect(
        "gpt-4o-mini-2024-07-18",
        1149,
        353,
        cache_read=1024,
        cost=((1149 - 1024) * GPT_4O_MINI_IN + 1024 * GPT_4O_MINI_CACHED + 353 * GPT_4O_MINI_OUT) / M,
        savings=1024 * (GPT_4O_MINI_IN - GPT_4O_MINI_CACHED) / M,
        entry="openai/gpt-4o-mini",
    ),
    "openai-chat-gpt-5-nano-reasoning": Expect(
        "gpt-5-nano-2025-08-07",
        11,
        228,
        reasoning=192,
        cost=(11 * GPT_5_NANO_IN + 228 * GPT_5_NANO_OUT) / M,
        entry="openai/gpt-5-nano",
    ),
    "openai-chat-gpt-5-service-tier-priority": Expect(
        "gpt-5-2025-08-07",
        8,
        82,
        reasoning=64,
        cost=(8 * GPT_5_PRIORITY_IN + 82 * GPT_5_PRIORITY_OUT) / M,
        entry="openai/gpt-5",
        tier="priority",
    ),
    "openai-chat-gpt-5.6-sol-cache-write": Expect(
        "gpt-5.6-sol",
        4020,
        4,
        cache_write=4012,
        cost=((4020 - 4012) * GPT_56_SOL_IN + 4012 * GPT_56_SOL_WRITE + 4 * GPT_56_SOL_OUT) / M,
        entry="openai/gpt-5.6-sol",
    ),
    "openai-chat-gpt-5.6-sol-cache-read": Expect(
        "gpt-5.6-sol",
        4020,
        4,
        cache_read=4012,
        cost=((4020 - 4012) * GPT_56_SOL_IN + 4012 * GPT_56_SOL_CACHED + 4 * GPT_56_SOL_OUT) / M,
        savings=4012 * (GPT_56_SOL_IN - GPT_56_SOL_CACHED) / M,
        entry="openai/gpt-5.6-sol",
    ),
    "openai-chat-o3-mini-reasoning-1792": Expect(
        "o3-mini-2025-01-31",
        577,
        2320,
        reasoning=1792,
        cost=(577 * O3_MINI_IN + 2320 * O3_MINI_OUT) / M,
        entry="openai/o3-mini",
    ),
    "openai-chat-gpt-4o-audio-input": Expect(
        "gpt-4o-audio-preview-2024-12-17",
        64,
        9,
        cost=(64 * GPT_4O_AUDIO_IN + 9 * GPT_4O_AUDIO_OUT) / M,
        entry="openai/gpt-4o-audio-preview",
    ),
    "openai-chat-gpt-4.1-basic": Expect(
        "gpt-4.1-2025-04-14",
        23,
        6,
        cost=(23 * GPT_41_IN + 6 * GPT_41_OUT) / M,
        entry="openai/gpt-4.1",
    ),
    "openai-chat-stream-gpt-4o-mini-include-usage": Expect(
        "gpt-4o-mini-2024-07-18",
        24,
        8,
        cost=(24 * GPT_4O_MINI_IN + 8 * GPT_4O_MINI_OUT) / M,
        entry="openai/gpt-4o-mini",
    ),
    "openai-chat-stream-gpt-4.1-no-usage": Expect("gpt-4.1-2025-04-14", unpriced="no_usage", no_usage=True),
    # --- Azure OpenAI ---------------------------------------------------------------------------------
    "azure-chat-gpt-5-nano-reasoning": Expect(
        "gpt-5-nano-2025-08-07",
        11,
        203,
        reasoning=192,
        cost=(11 * GPT_5_NANO_IN + 203 * GPT_5_NANO_OUT) / M,
        entry="azure/gpt-5-nano",
    ),
    # --- OpenAI Responses -----------------------------------------------------------------------------
    "openai-responses-gpt-5-nano-reasoning": Expect(
        "gpt-5-nano-2025-08-07",
        11,
        327,
        reasoning=320,
        cost=(11 * GPT_5_NANO_IN + 327 * GPT_5_NANO_OUT) / M,
        entry="openai/gpt-5-nano",
    ),
    "openai-responses-gpt-5-service-tier-priority": Expect(
        "gpt-5-2025-08-07",
        8,
        15,
        cost=(8 * GPT_5_PRIORITY_IN + 15 * GPT_5_PRIORITY_OUT) / M,
        entry="openai/gpt-5",
        tier="priority",
    ),
    "openai-responses-gpt-5.6-sol-cache-write": Expect(
        "gpt-5.6-sol",
        4020,
        5,
        cache_write=4012,
        cost=((4020 - 4012) * GPT_56_SOL_IN + 4012 * GPT_56_SOL_WRITE + 5 * GPT_56_SOL_OUT) / M,
        entry="openai/gpt-5.6-sol",
    ),
    "openai-responses-gpt-5.6-sol-cache-read": Expect(
        "gpt-5.6-sol",
        4020,
        5,
        cache_read=4012,
        cost=((4020 - 4012) * GPT_56_SOL_IN + 4012 * GPT_56_SOL_CACHED + 5 * GPT_56_SOL_OUT) / M,
        savings=4012 * (GPT_56_SOL_IN - GPT_56_SOL_CACHED) / M,
        entry="openai/gpt-5.6-sol",
    ),
    "openai-responses-gpt-5.6-web-search-cache-write": Expect(  # tool_usage.web_search.num_requests 1
        "gpt-5.6-sol",
        8576,
        52,
        cache_write=4418,
        reasoning=32,
        cost=((8576 - 4418) * GPT_56_SOL_IN + 4418 * GPT_56_SOL_WRITE + 52 * GPT_56_SOL_OUT) / M
        + 1 * WEB_SEARCH_PER_K / 1000,
        entry="openai/gpt-5.6-sol",
    ),
    "openai-responses-gpt-5-web-search-cached-92k": Expect(  # 6 web_search_call items, no tool_usage
        "gpt-5-2025-08-07",
        115886,
        1720,
        cache_read=92160,
        reasoning=1472,
        cost=((115886 - 92160) * GPT_5_IN + 92160 * GPT_5_CACHED + 1720 * GPT_5_OUT) / M + 6 * WEB_SEARCH_PER_K / 1000,
        savings=92160 * (GPT_5_IN - GPT_5_CACHED) / M,
        entry="openai/gpt-5",
    ),
    "openai-responses-gpt-4.1-basic": Expect(
        "gpt-4.1-2025-04-14",
        65,
        17,
        cost=(65 * GPT_41_IN + 17 * GPT_41_OUT) / M,
        entry="openai/gpt-4.1",
    ),
    "openai-responses-stream-gpt-5-flex": Expect(  # response.completed says service_tier flex
        "gpt-5-2025-08-07",
        53,
        469,
        reasoning=448,
        cost=(53 * GPT_5_FLEX_IN + 469 * GPT_5_FLEX_OUT) / M,
        entry="openai/gpt-5",
        tier="flex",
    ),
    "openai-responses-stream-gpt-5-web-search-cached": Expect(  # 1 web_search_call item, no tool_usage
        "gpt-5-2025-08-07",
        9463,
        582,
        cache_read=8320,
        reasoning=512,
        cost=((9463 - 8320) * GPT_5_IN + 8320 * GPT_5_CACHED + 582 * GPT_5_OUT) / M + 1 * WEB_SEARCH_PER_K / 1000,
        savings=8320 * (GPT_5_IN - GPT_5_CACHED) / M,
        entry="openai/gpt-5",
    ),
    "openai-responses-stream-gpt-4.1-basic": Expect(
        "gpt-4.1-2025-04-14",
        13,
        9,
        cost=(13 * GPT_41_IN + 9 * GPT_41_OUT) / M,
        entry="openai/gpt-4.1",
    ),
    # --- embeddings, legacy completions ------------------------------------------------------------
    "openai-embeddings-ada-002": Expect(
        "text-embedding-ada-002",
        8,
        cost=8 * ADA_002_IN / M,
        entry="openai/text-embedding-ada-002",
    ),
    "openai-completions-gpt-3.5-turbo-instruct": Expect(
        "gpt-3.5-turbo-instruct",
        5,
        1,
        cost=(5 * GPT_35_INSTRUCT_IN + 1 * GPT_35_INSTRUCT_OUT) / M,
        entry="openai/gpt-3.5-turbo-instruct",
    ),
    # --- DeepSeek (priced by the response model, deepseek-v4-flash, not the requested deepseek-reasoner)
    "deepseek-chat-reasoner-cache-hit": Expect(
        "deepseek-v4-flash",
        563,
        116,
        cache_read=512,
        reasoning=60,
        cost=0.0,
        entry="deepseek/deepseek-v4-flash",
        rates_at=by_time_of_day(DEEPSEEK_V4_FLASH_PEAK, DEEPSEEK_V4_FLASH_RATES),
    ),
    "deepseek-chat-stream-reasoner": Expect(
        "deepseek-reasoner",
        6,
        212,
        reasoning=198,
        cost=0.0,
        entry="deepseek/deepseek-reasoner",
        rates_at=by_time_of_day(DEEPSEEK_REASONER_PEAK, DEEPSEEK_REASONER_RATES),
    ),
    "deepseek-responses-v4-flash": Expect(
        "deepseek-v4-flash",
        366,
        63,
        cache_read=256,
        reasoning=18,
        cost=0.0,
        entry="deepseek/deepseek-v4-flash",
        rates_at=by_time_of_day(DEEPSEEK_V4_FLASH_PEAK, DEEPSEEK_V4_FLASH_RATES),
    ),
    # --- Groq ---------------------------------------------------------------------------------------
    "groq-chat-llama3-8b": Expect(
        "llama3-8b-8192",
        18,
        70,
        cost=(18 * GROQ_LLAMA3_8B_IN + 70 * GROQ_LLAMA3_8B_OUT) / M,
        entry="groq/llama3-8b-8192",
    ),
    "groq-chat-stream-llama3-8b-x-groq": Expect(  # usage under x_groq.usage on the last content chunk
        "llama3-8b-8192",
        18,
        73,
        cost=(18 * GROQ_LLAMA3_8B_IN + 73 * GROQ_LLAMA3_8B_OUT) / M,
        entry="groq/llama3-8b-8192",
    ),
    "groq-chat-gpt-oss-120b": Expect(  # service_tier on_demand = standard
        "openai/gpt-oss-120b",
        178,
        94,
        cost=(178 * GROQ_GPT_OSS_120B_IN + 94 * GROQ_GPT_OSS_120B_OUT) / M,
        entry="groq/openai/gpt-oss-120b",
    ),
    # --- OpenRouter: usage.cost wins ------------------------------------------------------------------
    "openrouter-responses-cache-write-cost": Expect(
        "openai/gpt-5.6-sol",
        4020,
        5,
        cache_write=4012,
        cost=0.025265,
        source="provider",
        entry="openrouter/openai/gpt-5.6-sol",
    ),
    "openrouter-chat-stream-cached-cost": Expect(
        # The stream says x-ai/grok-4 (unknown to genai-prices for openrouter) although the request asked for
        # google/gemini-2.0-flash-exp:free: another model served it, so the requested model's $0 price is no
        # fallback (no entry); the provider's reported cost is what counts.
        "x-ai/grok-4",
        687,
        187,
        cache_read=679,
        reasoning=118,
        cost=0.00333825,
        source="provider",
        entry=None,
    ),
    "openrouter-chat-anthropic-cache-write": Expect(
        "anthropic/claude-4.6-sonnet-20260217",
        2572,
        63,
        cache_write=2569,
        cost=0.01058775,
        source="provider",
        entry="openrouter/anthropic/claude-sonnet-4.6",
    ),
    # --- Mistral, Together ----------------------------------------------------------------------------
    "mistral-chat-tiny": Expect(
        "mistral-tiny",
        11,
        96,
        cost=(11 * MISTRAL_TINY_IN + 96 * MISTRAL_TINY_OUT) / M,
        entry="mistral/mistral-tiny",
    ),
    "together-chat-mixtral": Expect(
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        18,
        35,
        cost=(18 * TOGETHER_MIXTRAL_IN + 35 * TOGETHER_MIXTRAL_OUT) / M,
        entry="together/mistralai/Mixtral-8x7B-Instruct-v0.1",
    ),
    # --- xAI: output = completion 2087 + reasoning 619; cost_in_usd_ticks, 1 tick = 1e-10 USD ---------
    "xai-chat-grok-4.1-fast-reasoning": Expect(
        "grok-4-1-fast-reasoning",
        832,
        2087 + 619,
        cache_read=152,
        reasoning=619,
        cost=14966000 / 1e10,
        savings=152 * (GROK_41_FAST_IN - GROK_41_FAST_CACHED) / M,
        source="provider",
        entry="x-ai/grok-4-1-fast-reasoning",
    ),
    "xai-chat-grok-3": Expect(
        "grok-3",
        686,
        2473,
        cache_read=3,
        cost=391462500 / 1e10,
        savings=3 * (GROK_3_IN - GROK_3_CACHED) / M,
        source="provider",
        entry="x-ai/grok-3",
    ),
}
ERRORS = {"openai-chat-error-400": 400, "openai-responses-error-400": 400}


# --- instrumentation and mocks ----------------------------------------------------------------------
@dataclass
class Otel:
    """An SDK TracerProvider and MeterProvider kept in memory, with genai-cost instrumenting openai."""

    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def span(self) -> ReadableSpan:
        finished = self.spans.get_finished_spans()
        assert len(finished) == 1, [s.name for s in finished]
        return finished[0]

    def counters(self, name: str) -> list[tuple[dict[str, Any], float]]:
        data = self.reader.get_metrics_data()
        return [
            (dict(point.attributes or {}), point.value)
            for resource_metrics in (data.resource_metrics if data else ())
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]


@contextlib.contextmanager
def instrumented() -> Iterator[Otel]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = OpenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        yield Otel(spans, reader)
    finally:
        instrumentor.uninstrument()
        tracer_provider.shutdown()
        meter_provider.shutdown()


def provider_map(mocks: dict[str, MockProvider], **more: MockProvider) -> str:
    pairs = [*mocks.items(), *more.items()]
    return ",".join(f"127.0.0.1:{mock.port}={provider}" for provider, mock in pairs)


def reload_config() -> None:
    config.reset()
    endpoints.reset_cache()


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[str, MockProvider]]:
    """One mock per provider (a mock's host:port maps to exactly one provider), mapped for the module."""
    with contextlib.ExitStack() as stack:
        started = {
            provider: stack.enter_context(MockProvider(records_path=DATA))
            for provider in sorted({record["provider"] for record in RECORDS.values()})
        }
        env = stack.enter_context(pytest.MonkeyPatch.context())
        env.setenv(config.ENV_PROVIDER_MAP, provider_map(started))
        reload_config()
        yield started
    reload_config()


@pytest.fixture
def otel(mocks: dict[str, MockProvider]) -> Iterator[Otel]:
    reload_config()
    with instrumented() as pipeline:
        yield pipeline


# --- replay --------------------------------------------------------------------------------------
def client_for(record: dict[str, Any], mock: MockProvider) -> openai.OpenAI:
    request = record["request"]
    if record["provider"] == "azure.ai.openai":
        return openai.AzureOpenAI(
            azure_endpoint=mock.root_url,
            azure_deployment=request["azure_deployment"],
            api_version=request["query"]["api-version"],
            api_key="test",
            max_retries=0,
        )
    # The recorded URL path minus the endpoint: /v1 (OpenAI), "" (DeepSeek), /openai/v1 (Groq), /api/v1 ...
    prefix = request["path"].removesuffix(API_SUFFIX[record["api"]])
    return openai.OpenAI(base_url=mock.root_url + prefix, api_key="test", max_retries=0)


def replay(record: dict[str, Any], mock: MockProvider, *, app_stream_options: bool = True) -> Any:
    """Make the record's call through the SDK; a stream is read to its end. Returns what the app saw."""
    request = record["request"]
    client = client_for(record, mock)
    kwargs: dict[str, Any] = {"model": request["model"], "extra_body": {"mock": {"replay": record["id"]}}}
    if request["stream"]:
        kwargs["stream"] = True
        if request.get("stream_options") and app_stream_options:
            kwargs["stream_options"] = request["stream_options"]
    if request.get("service_tier"):
        kwargs["service_tier"] = request["service_tier"]
    api = record["api"]
    if api == "chat.completions":
        result = client.chat.completions.create(messages=[{"role": "user", "content": "replayed"}], **kwargs)
    elif api == "responses":
        result = client.responses.create(input="replayed", **kwargs)
    elif api == "embeddings":
        result = client.embeddings.create(input="replayed", **kwargs)
    else:
        result = client.completions.create(prompt="replayed", **kwargs)
    if request["stream"]:
        with result as stream:
            return list(stream)
    return result


@dataclass
class Replayed:
    """Everything one replayed record produced."""

    span: ReadableSpan
    attrs: dict[str, Any]
    counters: dict[str, list[tuple[dict[str, Any], float]]]
    seen: Any  # what the app got: the SDK object, or the list of stream items
    error: openai.APIError | None
    sent: dict[str, Any]  # the request body the mock received


_COUNTERS = (names.METRIC_COST, names.METRIC_COST_SAVINGS, names.METRIC_TOKENS, names.METRIC_UNPRICED)


@pytest.fixture(scope="module")
def replayed(mocks: dict[str, MockProvider]) -> Callable[[str], Replayed]:
    """Each record is replayed once per process, under its own fresh pipeline, and the result shared.

    Once only: genai-cost remembers (process-wide) the ids of Responses it has priced, so that
    retrieving a response again is not counted twice; a replayed body always has the same id.
    """
    cache: dict[str, Replayed] = {}

    def get(record_id: str) -> Replayed:
        if record_id not in cache:
            record = RECORDS[record_id]
            mock = mocks[record["provider"]]
            reload_config()
            with instrumented() as otel:
                seen, error = None, None
                try:
                    seen = replay(record, mock)
                except openai.APIError as raised:
                    error = raised
                span = otel.span()
                cache[record_id] = Replayed(
                    span=span,
                    attrs=dict(span.attributes or {}),
                    counters={name: otel.counters(name) for name in _COUNTERS},
                    seen=seen,
                    error=error,
                    sent=mock.requests[-1].body or {},
                )
        return cache[record_id]

    return get


def sse_event_count(body: str) -> int:
    blocks = body.replace("\r\n", "\n").split("\n\n")
    data = ["\n".join(line[5:].strip() for line in b.split("\n") if line.startswith("data:")) for b in blocks]
    return sum(1 for d in data if d and d != "[DONE]")


def case(record_id: str) -> Any:
    return pytest.param(record_id, marks=EXPECTED[record_id].marks, id=record_id)


SUCCESS_IDS = [record_id for record_id, record in RECORDS.items() if record["status"] == 200]
TOKEN_ATTRIBUTES = (
    names.USAGE_INPUT_TOKENS,
    names.USAGE_OUTPUT_TOKENS,
    names.USAGE_CACHE_READ_INPUT_TOKENS,
    names.USAGE_CACHE_WRITE_INPUT_TOKENS,
    names.USAGE_REASONING_OUTPUT_TOKENS,
)


def test_every_record_has_an_expectation() -> None:
    assert len(RECORDS) == 39
    assert set(EXPECTED) == set(SUCCESS_IDS)
    assert set(ERRORS) == {record_id for record_id, record in RECORDS.items() if record["status"] != 200}


# --- the span and tokens of every successful record -----------------------------------------------------
@pytest.mark.parametrize("record_id", SUCCESS_IDS)
def test_replay_span_and_tokens(record_id: str, mocks: dict[str, MockProvider], replayed: Any) -> None:
    record, expect = RECORDS[record_id], EXPECTED[record_id]
    result: Replayed = replayed(record_id)
    assert result.error is None
    span, attrs = result.span, result.attrs
    operation, model = OPERATION[record["api"]], record["request"]["model"]
    assert span.kind is SpanKind.CLIENT
    assert span.name == f"{operation} {model}"
    assert span.status.status_code is StatusCode.UNSET
    assert names.ERROR_TYPE not in attrs
    assert attrs[names.OPERATION_NAME] == operation
    assert attrs[names.PROVIDER_NAME] == record["provider"]
    assert attrs[names.REQUEST_MODEL] == model
    assert attrs[names.RESPONSE_MODEL] == expect.response_model
    assert (attrs[names.SERVER_ADDRESS], attrs[names.SERVER_PORT]) == ("127.0.0.1", mocks[record["provider"]].port)
    assert attrs.get(names.REQUEST_STREAM, False) is record["request"]["stream"]
    if record["api"] == "embeddings":
        assert names.RESPONSE_ID not in attrs
    else:
        assert attrs[names.RESPONSE_ID]

    if expect.no_usage:
        for name in (*TOKEN_ATTRIBUTES, names.USAGE_COST):
            assert name not in attrs
        assert all(value == 0 for _, value in result.counters[names.METRIC_TOKENS])
    else:
        assert {name: attrs[name] for name in TOKEN_ATTRIBUTES} == {
            names.USAGE_INPUT_TOKENS: expect.input,
            names.USAGE_OUTPUT_TOKENS: expect.output,
            names.USAGE_CACHE_READ_INPUT_TOKENS: expect.cache_read,
            names.USAGE_CACHE_WRITE_INPUT_TOKENS: expect.cache_write,
            names.USAGE_REASONING_OUTPUT_TOKENS: expect.reasoning,
        }
        assert {labels[names.TOKEN_TYPE]: value for labels, value in result.counters[names.METRIC_TOKENS]} == {
            names.TOKEN_INPUT: expect.input,
            names.TOKEN_OUTPUT: expect.output,
            names.TOKEN_CACHE_READ: expect.cache_read,
            names.TOKEN_CACHE_WRITE: expect.cache_write,
            names.TOKEN_REASONING: expect.reasoning,
        }

    if record["request"]["stream"]:  # the app saw every recorded chunk / event, in order
        assert len(result.seen) == sse_event_count(record["body"])
        if record["api"] == "chat.completions":  # every provider here is known to accept it
            assert result.sent["stream_options"] == {"include_usage": True}
        else:
            assert "stream_options" not in result.sent


# --- the cost of every successful record ------------------------------------------------------------
@pytest.mark.parametrize("record_id", [case(record_id) for record_id in SUCCESS_IDS])
def test_replay_cost(record_id: str, replayed: Any) -> None:
    record, expect = RECORDS[record_id], EXPECTED[record_id]
    result: Replayed = replayed(record_id)
    attrs = result.attrs
    labels = {
        names.OPERATION_NAME: OPERATION[record["api"]],
        names.PROVIDER_NAME: record["provider"],
        names.REQUEST_MODEL: record["request"]["model"],
        names.RESPONSE_MODEL: expect.response_model,
    }
    unpriced = result.counters[names.METRIC_UNPRICED]

    if expect.cost is None:  # unpriced: never a guessed $0
        assert expect.unpriced is not None
        assert attrs[names.UNPRICED_REASON] == expect.unpriced
        for name in (names.USAGE_COST, names.COST_SOURCE, names.PRICE_ENTRY):
            assert name not in attrs
        assert unpriced == [({**labels, names.UNPRICED_REASON: expect.unpriced}, 1)]
        assert all(value == 0 for _, value in result.counters[names.METRIC_COST])
        return

    # Priced at the prices in force when the call started (some vary by the time of day).
    expected_cost, expected_savings = expect.priced_at(datetime.fromtimestamp(result.span.start_time / 1e9, UTC))
    assert attrs[names.USAGE_COST] == pytest.approx(expected_cost, rel=1e-9)
    assert attrs[names.COST_SOURCE] == expect.source
    assert attrs.get(names.PRICE_ENTRY) == expect.entry
    assert attrs.get(names.PRICE_TIER) == expect.tier
    assert attrs[names.CACHE_SAVINGS] == pytest.approx(expected_savings, rel=1e-9, abs=1e-15)
    assert names.UNPRICED_REASON not in attrs
    assert unpriced == []
    [(cost_labels, cost)] = result.counters[names.METRIC_COST]
    assert cost_labels == labels
    assert cost == pytest.approx(expected_cost, rel=1e-9)
    [(_, savings)] = result.counters[names.METRIC_COST_SAVINGS]
    assert savings == pytest.approx(expected_savings, rel=1e-9, abs=1e-15)


# --- error records -----------------------------------------------------------------------------------
@pytest.mark.parametrize("record_id", sorted(ERRORS))
def test_replay_error_record(record_id: str, replayed: Any) -> None:
    record = RECORDS[record_id]
    result: Replayed = replayed(record_id)
    assert isinstance(result.error, openai.BadRequestError)
    assert result.error.status_code == ERRORS[record_id]
    assert result.error.body == json.loads(record["body"])["error"]

    attrs = result.attrs
    assert result.span.status.status_code is StatusCode.ERROR
    assert attrs[names.ERROR_TYPE] == "400"
    assert attrs[names.PROVIDER_NAME] == "openai"
    assert attrs[names.REQUEST_MODEL] == record["request"]["model"]
    assert attrs.get(names.REQUEST_STREAM, False) is record["request"]["stream"]
    for name in (*TOKEN_ATTRIBUTES, names.USAGE_COST, names.UNPRICED_REASON):
        assert name not in attrs
    assert result.counters[names.METRIC_COST] == []
    assert result.counters[names.METRIC_UNPRICED] == []


# --- special cases (chat records only: replaying them again is fine) -----------------------------------
def test_usage_chunk_requested_by_genai_cost_is_hidden_from_the_app(mocks: dict[str, MockProvider], otel: Otel) -> None:
    """The app streams without stream_options: genai-cost asks for usage and hides the usage-only chunk."""
    record = RECORDS["openai-chat-stream-gpt-4o-mini-include-usage"]
    mock = mocks["openai"]
    chunks = replay(record, mock, app_stream_options=False)
    assert (mock.requests[-1].body or {})["stream_options"] == {"include_usage": True}
    assert len(chunks) == sse_event_count(record["body"]) - 1 == 10
    assert all(chunk.usage is None and chunk.choices for chunk in chunks)
    attrs = dict(otel.span().attributes or {})
    assert (attrs[names.USAGE_INPUT_TOKENS], attrs[names.USAGE_OUTPUT_TOKENS]) == (24, 8)
    assert attrs[names.USAGE_COST] == pytest.approx((24 * GPT_4O_MINI_IN + 8 * GPT_4O_MINI_OUT) / M, rel=1e-9)


def test_model_unknown_to_genai_prices_is_unpriced_not_free(
    mocks: dict[str, MockProvider], otel: Otel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real Groq body served from a host mapped to Mistral: genai-prices has no mistral/llama3-8b-8192."""
    record = RECORDS["groq-chat-llama3-8b"]
    with MockProvider(records_path=DATA) as elsewhere:
        monkeypatch.setenv(config.ENV_PROVIDER_MAP, provider_map(mocks, mistral_ai=elsewhere))
        reload_config()
        replay(record, elsewhere)
    attrs = dict(otel.span().attributes or {})
    assert attrs[names.PROVIDER_NAME] == "mistral_ai"
    assert (attrs[names.USAGE_INPUT_TOKENS], attrs[names.USAGE_OUTPUT_TOKENS]) == (18, 70)
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_UNKNOWN_MODEL
    for name in (names.USAGE_COST, names.COST_SOURCE, names.PRICE_ENTRY, names.CACHE_SAVINGS):
        assert name not in attrs
    assert [(labels[names.UNPRICED_REASON], n) for labels, n in otel.counters(names.METRIC_UNPRICED)] == [
        (names.UNPRICED_UNKNOWN_MODEL, 1)
    ]
    assert all(value == 0 for _, value in otel.counters(names.METRIC_COST))
