"""Zero-code, end to end: an app with no OpenTelemetry code that uses the openai, anthropic,
google-genai, boto3 (Bedrock) and mistralai SDKs and the LiteLLM library, run under
`opentelemetry-instrument`, gets one CLIENT span per call with the
contract attributes and USD cost, and the contract Prometheus series from OTel's Prometheus
exporter (docs/design.md "Names"), with every genai-cost instrumentor loaded by its entry point.

One run of tests/e2e/apps/genai_app.py against six local mock providers (flavors openai and
x_ai, mapped with GENAI_COST_PROVIDER_MAP, anthropic, gemini, bedrock and mistral, reached through
each SDK's own base-URL variable; LiteLLM reaches the openai and anthropic ones): spans arrive
over OTLP/HTTP protobuf at an in-test receiver; /metrics is
scraped from the app process while it waits, then the app is told to exit (BatchSpanProcessor
flushes on shutdown). Most token usages are forced through the mock's ``{"mock": {"usage": ...}}``
control, the rest follow the mock's documented formula; every expected value below is written by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers.instrumented import PEERS_DISABLED, base_env, otel_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord
from tests.helpers.prom import Scrape, wait_for_scrape

REL = 1e-9
M = 1_000_000

# USD per million tokens, from genai-prices 0.2.3 (each checked once with genai_prices.calc_price
# when this test was written; the test itself relies only on these literals).
GPT_4O_MINI_IN, GPT_4O_MINI_CACHED, GPT_4O_MINI_OUT = 0.15, 0.075, 0.60
GPT_4_1_IN, GPT_4_1_CACHED, GPT_4_1_OUT = 2.00, 0.50, 8.00
TEXT_EMBEDDING_3_SMALL_IN = 0.02
GROK_4_1_FAST_REASONING_IN, GROK_4_1_FAST_REASONING_CACHED, GROK_4_1_FAST_REASONING_OUT = 0.20, 0.05, 0.50
CLAUDE_SONNET_4_5_IN, CLAUDE_SONNET_4_5_CACHED, CLAUDE_SONNET_4_5_OUT = 3.00, 0.30, 15.00
CLAUDE_SONNET_4_5_WRITE_5M, CLAUDE_SONNET_4_5_WRITE_1H = 3.75, 6.00
GEMINI_2_5_FLASH_IN, GEMINI_2_5_FLASH_CACHED, GEMINI_2_5_FLASH_OUT = 0.30, 0.03, 2.50
# Provider aws: regional.anthropic.claude-3-5-haiku-20241022-v1:0 (what the us. profile is priced at) and Llama.
HAIKU_3_5_BEDROCK_IN, HAIKU_3_5_BEDROCK_CACHED, HAIKU_3_5_BEDROCK_WRITE, HAIKU_3_5_BEDROCK_OUT = 0.80, 0.08, 1.00, 4.00
LLAMA_3_1_8B_BEDROCK = 0.22  # in and out
MISTRAL_SMALL_LATEST_IN, MISTRAL_SMALL_LATEST_OUT = 0.15, 0.60  # provider mistral, since 2026-03-16

# genai_cost_bedrock, _mistral and _litellm are registered by pyproject.toml: an install from this tree has them.
ENTRY_POINTS = {
    "genai_cost_openai", "genai_cost_anthropic", "genai_cost_google_genai", "genai_cost_bedrock", "genai_cost_mistral",
    "genai_cost_litellm",
}  # fmt: skip
PROVIDERS = {"openai", "x_ai", "anthropic", "gcp.gemini", "aws.bedrock", "mistral_ai"}


@dataclass(frozen=True)
class Expected:
    """One call of the app, as its span must describe it."""

    operation: str
    model: str
    provider: str
    mock: str  # which mock server (server.address/port) it went to: "openai", "x_ai", "anthropic", "gemini"
    input: int | None = None  # None: no usage attributes at all (the error calls)
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost: float | None = None  # None: no gen_ai.usage.cost
    savings: float = 0.0
    stream: bool = False
    error_type: str | None = None


# In the app's call order.
EXPECTED = [
    # 1: gpt-4o-mini, 1028 prompt tokens, nothing cached yet.
    Expected("chat", "gpt-4o-mini", "openai", "openai", input=1028, output=12,
             cost=(1028 * GPT_4O_MINI_IN + 12 * GPT_4O_MINI_OUT) / M),
    # 2: the same prompt again; 1024 of the 1028 input tokens read from the cache.
    Expected("chat", "gpt-4o-mini", "openai", "openai", input=1028, output=12, cache_read=1024,
             cost=((1028 - 1024) * GPT_4O_MINI_IN + 1024 * GPT_4O_MINI_CACHED + 12 * GPT_4O_MINI_OUT) / M,
             savings=1024 * (GPT_4O_MINI_IN - GPT_4O_MINI_CACHED) / M),
    # 3: a stream; usage only exists because genai-cost asked for it.
    Expected("chat", "gpt-4o-mini", "openai", "openai", input=20, output=12, stream=True,
             cost=(20 * GPT_4O_MINI_IN + 12 * GPT_4O_MINI_OUT) / M),
    # 4: embeddings: input only.
    Expected("embeddings", "text-embedding-3-small", "openai", "openai", input=1000,
             cost=1000 * TEXT_EMBEDDING_3_SMALL_IN / M),
    # 5: Responses API (operation chat), 1024 cached input tokens.
    Expected("chat", "gpt-4.1", "openai", "openai", input=3000, output=200, cache_read=1024,
             cost=((3000 - 1024) * GPT_4_1_IN + 1024 * GPT_4_1_CACHED + 200 * GPT_4_1_OUT) / M,
             savings=1024 * (GPT_4_1_IN - GPT_4_1_CACHED) / M),
    # 6: xAI: completion_tokens 30 EXCLUDES reasoning 60, so output_tokens = 30 + 60 = 90,
    #    all billed at the output price.
    Expected("chat", "grok-4-1-fast-reasoning", "x_ai", "x_ai", input=2000, output=90, cache_read=512,
             reasoning=60,
             cost=((2000 - 512) * GROK_4_1_FAST_REASONING_IN + 512 * GROK_4_1_FAST_REASONING_CACHED
                   + 90 * GROK_4_1_FAST_REASONING_OUT) / M,
             savings=512 * (GROK_4_1_FAST_REASONING_IN - GROK_4_1_FAST_REASONING_CACHED) / M),
    # 7: an unknown model: unpriced, never $0. Usage by the mock's documented formula:
    #    input = ceil(len("hello") / 4) + 4 per message = 6; output = 12 words by default.
    Expected("chat", "acme-internal-7b", "openai", "openai", input=6, output=12),
    # 8: HTTP 429 (the SDK retries once, then raises): still one span, status ERROR.
    Expected("chat", "mock-error-429", "openai", "openai", error_type="429"),
    # anthropic ------------------------------------------------------------------------------------
    # 9: input_tokens 50 EXCLUDES the cache: input = 50 + 3000 read + 1400 written (1000 for 5
    #    minutes, 400 for 1 hour, each at its own write price).
    Expected("chat", "claude-sonnet-4-5", "anthropic", "anthropic", input=4450, output=200, cache_read=3000,
             cache_write=1400,
             cost=(50 * CLAUDE_SONNET_4_5_IN + 3000 * CLAUDE_SONNET_4_5_CACHED + 1000 * CLAUDE_SONNET_4_5_WRITE_5M
                   + 400 * CLAUDE_SONNET_4_5_WRITE_1H + 200 * CLAUDE_SONNET_4_5_OUT) / M,
             savings=3000 * (CLAUDE_SONNET_4_5_IN - CLAUDE_SONNET_4_5_CACHED) / M),
    # 10: a stream with thinking, by the mock's formula: ceil(15 / 4) + 4 = 8 in; 12 words + 24
    #     thinking tokens out (thinking is inside output_tokens).
    Expected("chat", "claude-sonnet-4-5", "anthropic", "anthropic", input=8, output=36, reasoning=24, stream=True,
             cost=(8 * CLAUDE_SONNET_4_5_IN + 36 * CLAUDE_SONNET_4_5_OUT) / M),
    # 11: unknown model, mock formula.
    Expected("chat", "acme-internal-13b", "anthropic", "anthropic", input=8, output=12),
    # 12: HTTP 429, not retried.
    Expected("chat", "mock-error-429", "anthropic", "anthropic", error_type="429"),
    # google-genai ---------------------------------------------------------------------------------
    # 13: prompt 5000 INCLUDES 4096 cached; + 300 tool-use prompt tokens = 5300 in;
    #     200 candidates + 800 thoughts (billed as output) = 1000 out.
    Expected("generate_content", "gemini-2.5-flash", "gcp.gemini", "gemini", input=5300, output=1000,
             cache_read=4096, reasoning=800,
             cost=((5300 - 4096) * GEMINI_2_5_FLASH_IN + 4096 * GEMINI_2_5_FLASH_CACHED
                   + 1000 * GEMINI_2_5_FLASH_OUT) / M,
             savings=4096 * (GEMINI_2_5_FLASH_IN - GEMINI_2_5_FLASH_CACHED) / M),
    # 14: a stream of a thinking model, mock formula: "hello there" = ceil(11 / 4) + 4 = 7 in;
    #     12 words + 24 thoughts out.
    Expected("generate_content", "gemini-2.5-flash", "gcp.gemini", "gemini", input=7, output=36, reasoning=24,
             stream=True, cost=(7 * GEMINI_2_5_FLASH_IN + 36 * GEMINI_2_5_FLASH_OUT) / M),
    # 15: unknown model, mock formula.
    Expected("generate_content", "acme-internal-70b", "gcp.gemini", "gemini", input=7, output=12),
    # 16: HTTP 429.
    Expected("generate_content", "mock-error-429", "gcp.gemini", "gemini", error_type="429"),
    # boto3 bedrock-runtime ------------------------------------------------------------------------
    # 17: Converse through the us. inference profile: inputTokens 100 EXCLUDES the 1500 read and 500
    #     written, so input = 2100; priced at the regional Claude 3.5 Haiku rates.
    Expected("chat", "us.anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock", "bedrock", input=2100, output=50,
             cache_read=1500, cache_write=500,
             cost=(100 * HAIKU_3_5_BEDROCK_IN + 1500 * HAIKU_3_5_BEDROCK_CACHED + 500 * HAIKU_3_5_BEDROCK_WRITE
                   + 50 * HAIKU_3_5_BEDROCK_OUT) / M,
             savings=1500 * (HAIKU_3_5_BEDROCK_IN - HAIKU_3_5_BEDROCK_CACHED) / M),
    # 18: a Llama stream, mock formula: ceil(26 / 4) = 7 prompt tokens, max_gen_len 7 words out.
    Expected("chat", "meta.llama3-1-8b-instruct-v1:0", "aws.bedrock", "bedrock", input=7, output=7, stream=True,
             cost=14 * LLAMA_3_1_8B_BEDROCK / M),
    # mistralai -------------------------------------------------------------------------------------
    # 19: mock formula: ceil(15 / 4) + 4 = 8 in, 12 out.
    Expected("chat", "mistral-small-latest", "mistral_ai", "mistral", input=8, output=12,
             cost=(8 * MISTRAL_SMALL_LATEST_IN + 12 * MISTRAL_SMALL_LATEST_OUT) / M),
    # LiteLLM: one span per call at LiteLLM's resolved provider and model -------------------------------
    # 20: to OpenAI (LiteLLM posts through the openai client without chat.completions.create).
    Expected("chat", "gpt-4o-mini", "openai", "openai", input=8, output=12,
             cost=(8 * GPT_4O_MINI_IN + 12 * GPT_4O_MINI_OUT) / M),
    # 21: an embedding LiteLLM sends through the openai SDK: that SDK call is part of LiteLLM's, one span.
    #     "owls at night": ceil(13 / 4) = 4 tokens.
    Expected("embeddings", "text-embedding-3-small", "openai", "openai", input=4,
             cost=4 * TEXT_EMBEDDING_3_SMALL_IN / M),
    # 22: to Anthropic, streamed: LiteLLM reports usage because genai-cost asked for it.
    Expected("chat", "claude-sonnet-4-5", "anthropic", "anthropic", input=8, output=12, stream=True,
             cost=(8 * CLAUDE_SONNET_4_5_IN + 12 * CLAUDE_SONNET_4_5_OUT) / M),
]  # fmt: skip
# openai 161.4 + 84.6 + 10.2 + 20 + 6064 + 368.2; anthropic 10200 + 564; google-genai 2984.08 + 92.1;
# bedrock 900 + 3.08; mistral 8.4; LiteLLM 8.4 + 0.08 + 204 micro-USD.
EXPECTED_TOTAL_COST = 0.02167254
EXPECTED_TOTAL_SAVINGS = (76.8 + 1536 + 76.8 + 8100 + 1105.92 + 1080) / M
# Each SDK's unknown model: one unpriced call each.
EXPECTED_UNPRICED = {
    ("openai", "acme-internal-7b"), ("anthropic", "acme-internal-13b"), ("gcp.gemini", "acme-internal-70b")
}  # fmt: skip

USAGE_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
)

# --- the Prometheus contract (docs/design.md) -----------------------------------------------
CONTRACT_SERIES = {
    "gen_ai_client_cost_usd_total",
    "gen_ai_client_cost_savings_usd_total",
    "gen_ai_client_tokens_total",
    "gen_ai_client_unpriced_total",
    "gen_ai_client_token_usage_bucket",
    "gen_ai_client_token_usage_sum",
    "gen_ai_client_token_usage_count",
    "gen_ai_client_operation_duration_seconds_bucket",
    "gen_ai_client_operation_duration_seconds_sum",
    "gen_ai_client_operation_duration_seconds_count",
}
CONTRACT_TYPES = {
    "gen_ai_client_cost_usd": "counter",
    "gen_ai_client_cost_savings_usd": "counter",
    "gen_ai_client_tokens": "counter",
    "gen_ai_client_unpriced": "counter",
    "gen_ai_client_token_usage": "histogram",
    "gen_ai_client_operation_duration_seconds": "histogram",
}
# Label sets as Prometheus stores them (labels with empty values dropped: the exporter prints
# otel_scope_schema_url="" since genai-cost's scope has no schema URL, and pads every sample of a
# family to the union of its label names, e.g. error_type="" on successful calls' durations).
SCOPE_LABELS = frozenset({"otel_scope_name", "otel_scope_version"})
MODEL_LABELS = frozenset(
    {"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model"}
)
SERVER_LABELS = frozenset({"server_address", "server_port"})
TOKEN_TYPES = {"input", "output", "cache_read", "cache_write", "reasoning"}


@dataclass
class Run:
    result: dict[str, Any]  # what the app printed about what it saw
    exit_code: int
    stderr: str
    spans: list[SpanRecord]  # genai_cost spans, in start order
    all_spans: list[SpanRecord]
    scrape: Scrape
    mocks: dict[str, MockProvider]  # by Expected.mock
    receiver: OtlpReceiver


@pytest.fixture(scope="module")
def run(
    otlp_receiver: OtlpReceiver,
    mock_openai: MockProvider,
    mock_xai: MockProvider,
    mock_anthropic: MockProvider,
    mock_gemini: MockProvider,
    mock_bedrock: MockProvider,
    mock_mistral: MockProvider,
    sdk_env: dict[str, str],
    prometheus_port: int,
    run_instrumented: Any,
) -> Run:
    env = base_env(**otel_env("e2e-app", otlp_receiver.traces_url, prometheus_port), **sdk_env)
    # Only the peer instrumentations (their entry point names, PEERS_DISABLED) are off; genai-cost's load.
    assert env["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"] == PEERS_DISABLED
    app = run_instrumented("genai_app.py", env)
    try:
        # LiteLLM's import alone takes seconds on a busy machine.
        result_line = app.wait_for_line(lambda line: line.startswith("RESULT "), timeout=60)
        app.wait_for_line(lambda line: line == "READY", timeout=5)
        # The app is alive and idle: its Prometheus exporter answers from the app process.
        scrape = wait_for_scrape(
            f"http://127.0.0.1:{prometheus_port}/metrics", ["gen_ai_client_cost_usd_total"], timeout=10
        )
        app.send_line("exit")
        exit_code = app.wait(timeout=15)
    finally:
        app.kill()
    all_spans = otlp_receiver.wait_for_spans(
        lambda spans: sum(s.scope_name == "genai_cost" for s in spans) >= len(EXPECTED), timeout=5
    )
    ours = sorted((s for s in all_spans if s.scope_name == "genai_cost"), key=lambda s: s.start_time_unix_nano)
    return Run(
        result=json.loads(result_line.removeprefix("RESULT ")),
        exit_code=exit_code,
        stderr=app.stderr_text,
        spans=ours,
        all_spans=all_spans,
        scrape=scrape,
        mocks={
            "openai": mock_openai,
            "x_ai": mock_xai,
            "anthropic": mock_anthropic,
            "gemini": mock_gemini,
            "bedrock": mock_bedrock,
            "mistral": mock_mistral,
        },  # fmt: skip
        receiver=otlp_receiver,
    )


def _server(run: Run, expected: Expected) -> MockProvider:
    return run.mocks[expected.mock]


def _key(span: SpanRecord) -> tuple[str, str, str, str]:
    a = span.attributes
    return (
        a["gen_ai.operation.name"],
        a["gen_ai.provider.name"],
        a["gen_ai.request.model"],
        a.get("gen_ai.response.model", ""),
    )


def _selector(key: tuple[str, str, str, str]) -> dict[str, str]:
    return dict(
        zip(
            ("gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model"),
            key,
            strict=True,
        )
    )


# --- the app ----------------------------------------------------------------------------------
def test_app_exits_cleanly_and_saw_plain_sdk_behaviour(run: Run) -> None:
    assert run.exit_code == 0, run.stderr
    assert run.receiver.errors == []
    for bad in ("Traceback", "Failed to export", "genai-cost: ignoring"):
        assert bad not in run.stderr, run.stderr
    seen = run.result
    assert seen["chat_cached_tokens"] == [0, 1024]
    # genai-cost asked for stream usage on the app's behalf and hid the extra chunk: the app saw
    # the stream it asked for, with no usage and no chunk with empty choices.
    assert seen["stream_empty_choice_chunks"] == 0
    assert seen["stream_usage_chunks"] == 0
    assert seen["stream_chunks"] >= 3
    assert seen["stream_text"] == "mock reply with a fixed number of plain words for token tests"
    assert seen["embedding_vectors"] == 1
    assert seen["responses_text"] == "mock reply with a fixed number of plain words for token tests"
    assert seen["xai_completion_tokens"] == 30  # the app sees xAI's own numbers, untouched
    assert seen["unknown_usage"] == [6, 12]
    assert seen["error"] == ["RateLimitError", 429]
    # anthropic and google-genai: the SDKs' own numbers and errors, untouched.
    assert seen["anthropic_usage"] == [50, 3000]
    assert seen["anthropic_stream_text"] == "mock reply with a fixed number of plain words for token tests"
    assert seen["anthropic_unknown_usage"] == [8, 12]
    assert seen["anthropic_error"] == ["RateLimitError", 429]
    assert seen["gemini_prompt_tokens"] == 5000  # the SDK's count, without the tool-use prompt tokens
    assert seen["gemini_stream"] == [12, "mock reply with a fixed number of plain words for token tests"]
    assert seen["gemini_unknown_usage"] == [7, 12]
    assert seen["gemini_error"] == ["ClientError", 429]
    # Bedrock, Mistral and LiteLLM: their own numbers; LiteLLM's stream shows no usage chunk it did not ask for.
    assert seen["bedrock_usage"] == [100, 1500]
    assert seen["bedrock_stream_text"] == "mock reply with a fixed number of"
    assert seen["mistral_usage"] == 8
    assert seen["litellm_stream_usage_chunks"] == 0


def test_every_instrumentor_is_loaded_by_its_entry_point(run: Run) -> None:
    names = {entry.name for entry in entry_points(group="opentelemetry_instrumentor")}
    assert ENTRY_POINTS <= names
    # opentelemetry-instrument found each through its entry point: every SDK's calls have spans.
    assert {s.attributes["gen_ai.provider.name"] for s in run.spans} == PROVIDERS


def test_stream_usage_requested_only_for_the_stream(run: Run) -> None:
    chats = [r for r in run.mocks["openai"].requests if r.path.endswith("/chat/completions") and r.body]
    streams = [r for r in chats if r.body.get("stream") is True]
    assert len(streams) == 1
    assert streams[0].body.get("stream_options") == {"include_usage": True}
    assert all("stream_options" not in r.body for r in chats if r.body.get("stream") is not True)


# --- spans ---------------------------------------------------------------------------------------
def test_one_client_span_per_call(run: Run) -> None:
    assert [s.name for s in run.spans] == [f"{e.operation} {e.model}" for e in EXPECTED]
    assert all(s.kind == "CLIENT" for s in run.spans)
    # No other instrumentation produced a GenAI span for the same calls.
    assert [s for s in run.all_spans if s.scope_name != "genai_cost" and "gen_ai.operation.name" in s.attributes] == []
    # The SDK retried the 429 once: two HTTP requests, one logical call, one span.
    errors = [r for r in run.mocks["openai"].requests if r.body and r.body.get("model") == "mock-error-429"]
    assert len(errors) == 2
    # The anthropic and google-genai clients (and LiteLLM's one Anthropic call) made one request per call.
    assert len([r for r in run.mocks["anthropic"].requests if r.path.endswith("/messages")]) == 5
    assert len([r for r in run.mocks["gemini"].requests if "enerateContent" in r.path]) == 4
    assert {s.resource.get("service.name") for s in run.spans} == {"e2e-app"}


@pytest.mark.parametrize("index", range(len(EXPECTED)), ids=[f"{e.operation}-{e.model}" for e in EXPECTED])
def test_span_attributes(run: Run, index: int) -> None:
    expected = EXPECTED[index]
    assert len(run.spans) == len(EXPECTED), [s.name for s in run.spans]
    span = run.spans[index]
    a = span.attributes
    server = _server(run, expected)
    assert a["gen_ai.operation.name"] == expected.operation
    assert a["gen_ai.provider.name"] == expected.provider
    assert a["gen_ai.request.model"] == expected.model
    assert a["server.address"] == "127.0.0.1"
    assert a["server.port"] == server.port
    assert a.get("gen_ai.request.stream", False) is expected.stream

    if expected.error_type is not None:
        assert span.status_code == "ERROR"
        assert a["error.type"] == expected.error_type
        assert "gen_ai.usage.cost" not in a
        assert not any(k in a for k in USAGE_KEYS)
        return

    assert span.status_code != "ERROR"
    assert "error.type" not in a
    assert a["gen_ai.response.model"] == expected.model
    assert {k: a.get(k) for k in USAGE_KEYS} == {
        "gen_ai.usage.input_tokens": expected.input,
        "gen_ai.usage.output_tokens": expected.output,
        "gen_ai.usage.cache_read.input_tokens": expected.cache_read,
        "gen_ai.usage.cache_write.input_tokens": expected.cache_write,
        "gen_ai.usage.reasoning.output_tokens": expected.reasoning,
    }
    if expected.cost is None:
        assert "gen_ai.usage.cost" not in a
        assert a["genai_cost.unpriced.reason"] == "unknown_model"
    else:
        assert isinstance(a["gen_ai.usage.cost"], float)
        assert a["gen_ai.usage.cost"] == pytest.approx(expected.cost, rel=REL)
        assert a["genai_cost.cost.cache_savings"] == pytest.approx(expected.savings, rel=REL, abs=1e-18)
        assert "genai_cost.unpriced.reason" not in a


def test_anthropic_cache_writes_are_split_by_duration(run: Run) -> None:
    anthropic = [s for s in run.spans if s.attributes["gen_ai.provider.name"] == "anthropic"]
    (cached,) = [s for s in anthropic if s.attributes.get("gen_ai.usage.cache_write.input_tokens")]
    assert cached.attributes["genai_cost.usage.cache_write_5m.input_tokens"] == 1000
    assert cached.attributes["genai_cost.usage.cache_write_1h.input_tokens"] == 400


def test_span_costs_add_up(run: Run) -> None:
    assert sum(e.cost or 0.0 for e in EXPECTED) == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)
    assert sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in run.spans) == pytest.approx(
        EXPECTED_TOTAL_COST, rel=REL
    )


# --- Prometheus --------------------------------------------------------------------------------
def test_prometheus_contract_series_exist_exactly(run: Run) -> None:
    assert run.scrape.names("gen_ai_") == CONTRACT_SERIES
    assert {name: run.scrape.types.get(name) for name in CONTRACT_TYPES} == CONTRACT_TYPES


def test_prometheus_label_sets(run: Run) -> None:
    s = run.scrape
    counter = MODEL_LABELS | SCOPE_LABELS
    assert s.label_names("gen_ai_client_cost_usd_total") == {counter}
    assert s.label_names("gen_ai_client_cost_savings_usd_total") == {counter}
    assert s.label_names("gen_ai_client_tokens_total") == {counter | {"gen_ai_token_type"}}
    assert s.label_names("gen_ai_client_unpriced_total") == {counter | {"genai_cost_unpriced_reason"}}

    histogram = MODEL_LABELS | SERVER_LABELS | SCOPE_LABELS
    token_usage = histogram | {"gen_ai_token_type"}
    assert s.label_names("gen_ai_client_token_usage_bucket") == {token_usage | {"le"}}
    assert s.label_names("gen_ai_client_token_usage_sum") == {token_usage}
    assert s.label_names("gen_ai_client_token_usage_count") == {token_usage}
    # A failed call has no response model; its duration carries error_type instead.
    failed = (histogram - {"gen_ai_response_model"}) | {"error_type"}
    assert s.label_names("gen_ai_client_operation_duration_seconds_bucket") == {histogram | {"le"}, failed | {"le"}}
    assert s.label_names("gen_ai_client_operation_duration_seconds_sum") == {histogram, failed}
    assert s.label_names("gen_ai_client_operation_duration_seconds_count") == {histogram, failed}

    ours = [x for x in s.samples if x.name.startswith("gen_ai_")]
    # As exposed: the exporter's scope labels on every sample (schema URL empty), no other extras.
    assert all(SCOPE_LABELS | {"otel_scope_schema_url"} <= set(x.labels) for x in ours)
    assert {x.labels["otel_scope_name"] for x in ours} == {"genai_cost"}
    assert {x.labels["gen_ai_token_type"] for x in s.select("gen_ai_client_tokens_total")} == TOKEN_TYPES
    assert {x.labels["gen_ai_token_type"] for x in s.select("gen_ai_client_token_usage_count")} == {"input", "output"}
    assert {x.labels["gen_ai_provider_name"] for x in ours} == PROVIDERS
    assert {x.labels["gen_ai_operation_name"] for x in ours} == {"chat", "embeddings", "generate_content"}
    for provider in PROVIDERS:  # every provider has every counter, with the same label names
        for name in ("gen_ai_client_cost_usd_total", "gen_ai_client_tokens_total", "gen_ai_client_token_usage_count"):
            assert s.select(name, {"gen_ai_provider_name": provider}), (provider, name)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_prometheus_label_sets_per_provider(run: Run, provider: str) -> None:
    """Every SDK's series have the contract's label names, the same for every provider."""

    def label_names(name: str) -> set[frozenset[str]]:
        found = run.scrape.select(name, {"gen_ai_provider_name": provider})
        return {frozenset(k for k, v in x.labels.items() if v != "") for x in found}

    counter = MODEL_LABELS | SCOPE_LABELS
    histogram = MODEL_LABELS | SERVER_LABELS | SCOPE_LABELS
    failed = (histogram - {"gen_ai_response_model"}) | {"error_type"}
    has_unpriced = provider in {p for p, _ in EXPECTED_UNPRICED}
    has_errors = any(e.provider == provider and e.error_type for e in EXPECTED)
    assert label_names("gen_ai_client_cost_usd_total") == {counter}
    assert label_names("gen_ai_client_cost_savings_usd_total") == {counter}
    assert label_names("gen_ai_client_tokens_total") == {counter | {"gen_ai_token_type"}}
    assert label_names("gen_ai_client_unpriced_total") == ({counter | {"genai_cost_unpriced_reason"}} if has_unpriced
                                                           else set())  # fmt: skip
    assert label_names("gen_ai_client_token_usage_count") == {histogram | {"gen_ai_token_type"}}
    assert label_names("gen_ai_client_operation_duration_seconds_count") == (
        {histogram, failed} if has_errors else {histogram}
    )


def test_prometheus_cost_equals_span_cost(run: Run) -> None:
    s = run.scrape
    span_total = sum(x.attributes.get("gen_ai.usage.cost", 0.0) for x in run.spans)
    assert s.total("gen_ai_client_cost_usd_total") == pytest.approx(span_total, rel=REL)
    assert s.total("gen_ai_client_cost_usd_total") == pytest.approx(EXPECTED_TOTAL_COST, rel=REL)
    assert s.total("gen_ai_client_cost_savings_usd_total") == pytest.approx(EXPECTED_TOTAL_SAVINGS, rel=REL)

    by_key: dict[tuple[str, str, str, str], list[SpanRecord]] = defaultdict(list)
    for span in run.spans:
        if span.status_code != "ERROR":
            by_key[_key(span)].append(span)
    for key, spans in by_key.items():
        selector = _selector(key)
        if not any("gen_ai.usage.cost" in x.attributes for x in spans):
            # never priced: no cost series at all, rather than a $0 line that reads as "free"
            assert s.select("gen_ai_client_cost_usd_total", selector) == [], key
            assert s.select("gen_ai_client_cost_savings_usd_total", selector) == [], key
            continue
        assert s.value("gen_ai_client_cost_usd_total", selector) == pytest.approx(
            sum(x.attributes.get("gen_ai.usage.cost", 0.0) for x in spans), rel=REL, abs=1e-18
        ), key
        assert s.value("gen_ai_client_cost_savings_usd_total", selector) == pytest.approx(
            sum(x.attributes.get("genai_cost.cost.cache_savings", 0.0) for x in spans), rel=REL, abs=1e-18
        ), key
        for token_type, attribute in zip(
            ("input", "output", "cache_read", "cache_write", "reasoning"), USAGE_KEYS, strict=True
        ):
            assert s.value("gen_ai_client_tokens_total", {**selector, "gen_ai_token_type": token_type}) == sum(
                x.attributes[attribute] for x in spans
            ), (key, token_type)
    # Each provider's counters equal its spans.
    for provider in PROVIDERS:
        spans = [x for x in run.spans if x.attributes["gen_ai.provider.name"] == provider]
        assert s.total("gen_ai_client_cost_usd_total", {"gen_ai_provider_name": provider}) == pytest.approx(
            sum(x.attributes.get("gen_ai.usage.cost", 0.0) for x in spans), rel=REL
        ), provider
    # The failed calls add no cost, tokens or unpriced count.
    assert s.select("gen_ai_client_tokens_total", {"gen_ai_request_model": "mock-error-429"}) == []


def test_prometheus_unpriced(run: Run) -> None:
    s = run.scrape
    for provider, model in EXPECTED_UNPRICED:
        selector = {"gen_ai_provider_name": provider, "gen_ai_request_model": model}
        assert s.value("gen_ai_client_unpriced_total", {**selector, "genai_cost_unpriced_reason": "unknown_model"}) == 1
        # An unpriced call adds nothing to the cost counter (whether or not its label set is exposed).
        assert s.total("gen_ai_client_cost_usd_total", {"gen_ai_request_model": model}) == 0
    assert s.total("gen_ai_client_unpriced_total") == len(EXPECTED_UNPRICED)


def test_prometheus_histograms(run: Run) -> None:
    s = run.scrape
    duration = "gen_ai_client_operation_duration_seconds"
    assert s.total(duration + "_count") == len(EXPECTED)
    failed = s.select(duration + "_count", {"error_type": "429"})
    assert {x.labels["gen_ai_provider_name"]: x.value for x in failed} == {"openai": 1, "anthropic": 1, "gcp.gemini": 1}
    assert {x.labels["gen_ai_request_model"] for x in failed} == {"mock-error-429"}
    assert s.total(duration + "_bucket", {"le": "+Inf"}) == len(EXPECTED)
    # Every span's server shows up as the histogram's server labels.
    ports = {x.labels["server_port"] for x in s.select(duration + "_count")}
    assert ports == {str(mock.port) for mock in run.mocks.values()}

    usage = "gen_ai_client_token_usage"
    priced_or_not = [x for x in run.spans if x.status_code != "ERROR"]
    for token_type, attribute in (("input", USAGE_KEYS[0]), ("output", USAGE_KEYS[1])):
        assert s.total(usage + "_count", {"gen_ai_token_type": token_type}) == len(priced_or_not)
        assert s.total(usage + "_sum", {"gen_ai_token_type": token_type}) == sum(
            x.attributes[attribute] for x in priced_or_not
        )
    for key in {_key(x) for x in priced_or_not}:
        spans = [x for x in priced_or_not if _key(x) == key]
        selector = {**_selector(key), "gen_ai_token_type": "input"}
        assert s.value(usage + "_sum", selector) == sum(x.attributes[USAGE_KEYS[0]] for x in spans), key
        assert s.value(usage + "_bucket", {**selector, "le": "+Inf"}) == len(spans), key
