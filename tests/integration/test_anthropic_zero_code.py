"""Zero-code: tests/integration/apps/anthropic_app.py, an anthropic app with no OpenTelemetry code, run
under `opentelemetry-instrument`, gets genai-cost's spans (over OTLP) and Prometheus series from the
`genai_cost_anthropic` entry point alone.

Two runs: the default, where the SDK's own spans are off and genai-cost's span is the only one per
call; and GENAI_COST_ANTHROPIC_SDK_SPANS=child, where the SDK's span is a child of ours without token
counts. Prices (USD per million tokens, genai-prices 0.2.3): claude-sonnet-4-5 $3 in / $0.30 cache
read / $3.75 5-minute write / $6 1-hour write / $15 out.
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

APP = Path(__file__).resolve().parent / "apps" / "anthropic_app.py"
REPO = Path(__file__).resolve().parents[2]
M = 1_000_000
SDK_SCOPE = "com.anthropic.sdk.python"

# 1: forced usage, 50 uncached + 3000 cache read + 1000 (5m) + 400 (1h) written, 200 out.
CREATE_COST = (50 * 3 + 3000 * 0.3 + 1000 * 3.75 + 400 * 6 + 200 * 15) / M
# 2: the mock's formula: ceil(15 / 4) + 4 = 8 input tokens, 12 output words.
STREAM_COST = (8 * 3 + 12 * 15) / M


@dataclass
class Run:
    result: dict[str, Any]
    exit_code: int
    stderr: str
    spans: list[SpanRecord]
    scrape: Scrape


def run_app(mock: MockProvider, **settings: str) -> Run:
    prometheus_port = free_port()
    with OtlpReceiver() as receiver:
        env = base_env(
            **otel_env("anthropic-app", receiver.traces_url, prometheus_port),
            ANTHROPIC_API_KEY="test",
            ANTHROPIC_BASE_URL=mock.root_url,
            **settings,
        )
        with AppProcess(instrumented_argv(APP), env=env, cwd=REPO) as app:
            result_line = app.wait_for_line(lambda line: line.startswith("RESULT "), timeout=30)
            app.wait_for_line(lambda line: line == "READY", timeout=5)
            scrape = wait_for_scrape(
                f"http://127.0.0.1:{prometheus_port}/metrics", ["gen_ai_client_cost_usd_total"], timeout=10
            )
            app.send_line("exit")
            exit_code = app.wait(timeout=15)
            stderr = app.stderr_text
        want = 3 if not settings else 6
        spans = receiver.wait_for_spans(lambda spans: len(spans) >= want, timeout=5)
    return Run(json.loads(result_line.removeprefix("RESULT ")), exit_code, stderr, spans, scrape)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic") as provider:
        yield provider


@pytest.fixture(scope="module")
def default_run(mock: MockProvider) -> Run:
    return run_app(mock)


@pytest.fixture(scope="module")
def child_run(mock: MockProvider) -> Run:
    return run_app(mock, GENAI_COST_ANTHROPIC_SDK_SPANS="child")


def test_app_runs_unchanged(default_run: Run) -> None:
    assert default_run.exit_code == 0, default_run.stderr
    assert "Traceback" not in default_run.stderr
    assert default_run.result == {
        "input_tokens": 50,
        "stream_text": "mock reply with a fixed number of plain words for token tests",
        "counted": 8,
    }


def test_one_span_per_call_and_no_sdk_span_by_default(default_run: Run) -> None:
    spans = sorted(default_run.spans, key=lambda s: s.start_time_unix_nano)
    assert [s.scope_name for s in spans] == ["genai_cost"] * 3
    assert [s.name for s in spans] == [
        "chat claude-sonnet-4-5",
        "chat claude-sonnet-4-5",
        "count_tokens claude-sonnet-4-5",
    ]
    create, stream, counted = (s.attributes for s in spans)
    assert create["gen_ai.provider.name"] == "anthropic"
    assert create["gen_ai.usage.input_tokens"] == 4450 and create["gen_ai.usage.cache_write.input_tokens"] == 1400
    assert create["gen_ai.usage.cost"] == pytest.approx(CREATE_COST, rel=1e-9)
    assert stream["gen_ai.request.stream"] is True
    assert stream["gen_ai.usage.input_tokens"] == 8 and stream["gen_ai.usage.output_tokens"] == 12
    assert stream["gen_ai.usage.cost"] == pytest.approx(STREAM_COST, rel=1e-9)
    assert counted["gen_ai.usage.input_tokens"] == 8 and "gen_ai.usage.cost" not in counted


def test_prometheus_counters_agree_with_spans(default_run: Run) -> None:
    scrape = default_run.scrape
    assert scrape.total("gen_ai_client_cost_usd_total") == pytest.approx(CREATE_COST + STREAM_COST, rel=1e-9)
    assert scrape.total("gen_ai_client_tokens_total", {"gen_ai_token_type": "input"}) == 4450 + 8
    assert scrape.total("gen_ai_client_tokens_total", {"gen_ai_token_type": "cache_write"}) == 1400
    assert scrape.select("gen_ai_client_unpriced_total") == []  # token counting is not an unpriced call


def test_sdk_spans_kept_as_children_without_token_counts(child_run: Run) -> None:
    assert child_run.exit_code == 0, child_run.stderr
    ours = {s.span_id: s for s in child_run.spans if s.scope_name == "genai_cost"}
    sdk = [s for s in child_run.spans if s.scope_name == SDK_SCOPE]
    assert len(ours) == 3 and len(sdk) == 3
    assert all(s.parent_span_id in ours for s in sdk)
    assert not [k for s in sdk for k in s.attributes if k.startswith(("gen_ai.usage.", "anthropic.usage."))]
    total = sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in child_run.spans)
    assert total == pytest.approx(CREATE_COST + STREAM_COST, rel=1e-9)
    assert child_run.scrape.total("gen_ai_client_cost_usd_total") == pytest.approx(CREATE_COST + STREAM_COST)
