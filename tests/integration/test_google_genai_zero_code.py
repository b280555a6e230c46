"""Zero-code: a google-genai app with no OpenTelemetry code, run under `opentelemetry-instrument`,
gets one CLIENT span per call from the `genai_cost_google_genai` entry point, with tokens and USD
cost, and the contract Prometheus series from OTel's Prometheus exporter.

One run of tests/integration/apps/google_genai_app.py against two local mock providers (flavors
gemini and vertex, reached through GOOGLE_GEMINI_BASE_URL / GOOGLE_VERTEX_BASE_URL): spans arrive
over OTLP/HTTP protobuf at an in-test receiver; /metrics is scraped from the app while it waits.

Prices per million tokens, literals from genai-prices 0.2.3 (provider "google"): gemini-2.5-flash
$0.30 in / $0.03 cache read / $2.50 out; gemini-2.0-flash $0.10 / $0.40; gemini-embedding-001 $0.15.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers import free_port
from tests.helpers.instrumented import base_env, instrumented_argv, otel_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord
from tests.helpers.process import AppProcess
from tests.helpers.prom import Scrape, wait_for_scrape

APP = Path(__file__).resolve().parent / "apps" / "google_genai_app.py"
REPO = Path(__file__).resolve().parents[2]
M = 1_000_000
REL = 1e-9
FLASH_IN, FLASH_CACHED, FLASH_OUT = 0.30, 0.03, 2.50
FLASH20_IN, FLASH20_OUT = 0.10, 0.40
EMBEDDING_IN = 0.15


@dataclass(frozen=True)
class Expected:
    name: str
    provider: str
    input: int
    output: int
    cache_read: int
    reasoning: int
    cost: float
    stream: bool = False


# In the app's call order.
EXPECTED = [
    # input = 5000 prompt (4096 cached) + 300 tool-use prompt; output = 200 candidates + 800 thoughts.
    Expected("generate_content gemini-2.5-flash", "gcp.gemini", 5300, 1000, 4096, 800,
             (1204 * FLASH_IN + 4096 * FLASH_CACHED + 1000 * FLASH_OUT) / M),
    # The mock's formula: "hello there" = ceil(11 / 4) + 4 = 7 prompt tokens; 12 words out.
    Expected("generate_content gemini-2.0-flash", "gcp.gemini", 7, 12, 0, 0, (7 * FLASH20_IN + 12 * FLASH20_OUT) / M,
             stream=True),
    # ceil(40 / 4) + ceil(8 / 4) = 12 tokens.
    Expected("embeddings gemini-embedding-001", "gcp.gemini", 12, 0, 0, 0, 12 * EMBEDDING_IN / M),
    # Two requests: 1200 + 1300 (1024 cached) in, (10 + 50) + (40 + 60) out, each priced.
    Expected("generate_content gemini-2.5-flash", "gcp.gemini", 2500, 160, 1024, 110,
             ((1200 + 276) * FLASH_IN + 1024 * FLASH_CACHED + 160 * FLASH_OUT) / M),
    Expected("generate_content gemini-2.0-flash", "gcp.gemini", 7, 12, 0, 0, (7 * FLASH20_IN + 12 * FLASH20_OUT) / M),
    # A thinking model by the mock's formula: 24 thought tokens besides 12 words.
    Expected("generate_content gemini-2.5-flash", "gcp.vertex_ai", 7, 36, 0, 24, (7 * FLASH_IN + 36 * FLASH_OUT) / M),
]  # fmt: skip


@dataclass
class Run:
    result: dict[str, Any]
    exit_code: int
    stderr: str
    spans: list[SpanRecord]
    scrape: Scrape
    gemini: MockProvider
    vertex: MockProvider


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with (
        OtlpReceiver() as receiver,
        MockProvider(flavor="gemini") as gemini,
        MockProvider(flavor="vertex") as vertex,
    ):
        port = free_port()
        env = base_env(
            **otel_env("google-genai-app", receiver.traces_url, port),
            GEMINI_API_KEY="test-key",
            GOOGLE_GEMINI_BASE_URL=gemini.root_url,
            GOOGLE_VERTEX_BASE_URL=vertex.root_url,
        )
        with AppProcess(instrumented_argv(APP), env=env, cwd=REPO) as app:
            result_line = app.wait_for_line(lambda line: line.startswith("RESULT "), timeout=30)
            app.wait_for_line(lambda line: line == "READY", timeout=5)
            scrape = wait_for_scrape(f"http://127.0.0.1:{port}/metrics", ["gen_ai_client_cost_usd_total"], timeout=10)
            app.send_line("exit")
            exit_code = app.wait(timeout=15)
            stderr = app.stderr_text
        spans = receiver.wait_for_spans(
            lambda spans: sum(s.scope_name == "genai_cost" for s in spans) >= len(EXPECTED), timeout=10
        )
        ours = sorted((s for s in spans if s.scope_name == "genai_cost"), key=lambda s: s.start_time_unix_nano)
        yield Run(json.loads(result_line.removeprefix("RESULT ")), exit_code, stderr, ours, scrape, gemini, vertex)


def test_app_ran_cleanly_and_saw_plain_sdk_behaviour(run: Run) -> None:
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.result == {
        "generate_prompt_tokens": 5000,
        "stream_chunks": 12,
        "embeddings": 2,
        "afc_prompt_tokens": 1300,
        "async_text": "mock reply with a fixed number of plain words for token tests",
        "vertex_traffic": "ON_DEMAND",
    }
    assert len([r for r in run.gemini.requests if "enerateContent" in r.path]) == 5  # AFC made two


def test_one_span_per_call_with_tokens_and_cost(run: Run) -> None:
    assert [s.name for s in run.spans] == [e.name for e in EXPECTED]
    for span, expected in zip(run.spans, EXPECTED, strict=True):
        a = span.attributes
        assert span.kind == "CLIENT"
        assert a["gen_ai.provider.name"] == expected.provider
        assert a["server.port"] == (run.vertex if expected.provider == "gcp.vertex_ai" else run.gemini).port
        assert (
            a["gen_ai.usage.input_tokens"], a["gen_ai.usage.output_tokens"],
            a["gen_ai.usage.cache_read.input_tokens"], a["gen_ai.usage.reasoning.output_tokens"],
        ) == (expected.input, expected.output, expected.cache_read, expected.reasoning)  # fmt: skip
        assert a["gen_ai.usage.cost"] == pytest.approx(expected.cost, rel=REL)
        assert a.get("gen_ai.request.stream", False) is expected.stream


def test_prometheus_counters_agree_with_the_spans(run: Run) -> None:
    assert run.scrape.total("gen_ai_client_cost_usd_total") == pytest.approx(sum(e.cost for e in EXPECTED), rel=REL)
    for provider in ("gcp.gemini", "gcp.vertex_ai"):
        expected = sum(e.cost for e in EXPECTED if e.provider == provider)
        got = run.scrape.total("gen_ai_client_cost_usd_total", {"gen_ai_provider_name": provider})
        assert got == pytest.approx(expected, rel=REL)
    flash = {"gen_ai_provider_name": "gcp.gemini", "gen_ai_request_model": "gemini-2.5-flash"}
    assert run.scrape.total("gen_ai_client_tokens_total", {**flash, "gen_ai_token_type": "input"}) == 5300 + 2500
    assert run.scrape.total("gen_ai_client_tokens_total", {**flash, "gen_ai_token_type": "reasoning"}) == 800 + 110
    assert run.scrape.total("gen_ai_client_tokens_total", {**flash, "gen_ai_token_type": "cache_read"}) == 4096 + 1024
    savings = (4096 + 1024) * (FLASH_IN - FLASH_CACHED) / M
    assert run.scrape.total("gen_ai_client_cost_savings_usd_total", flash) == pytest.approx(savings, rel=REL)
    assert run.scrape.total("gen_ai_client_unpriced_total") == 0
    operations = {s.labels["gen_ai_operation_name"] for s in run.scrape.select("gen_ai_client_cost_usd_total")}
    assert operations == {"generate_content", "embeddings"}


def test_entry_point_names_the_instrumentor() -> None:
    from importlib.metadata import entry_points

    from genai_cost.google_genai import GoogleGenAICostInstrumentor

    [entry] = entry_points(group="opentelemetry_instrumentor", name="genai_cost_google_genai")
    assert entry.load() is GoogleGenAICostInstrumentor
    assert list(GoogleGenAICostInstrumentor().instrumentation_dependencies()) == ["google-genai >= 1.0.0"]
