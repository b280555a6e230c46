"""No credential in anything genai-cost exports or writes.

tests/e2e/apps/secret_app.py runs under `opentelemetry-instrument` with a distinctive API key and,
in one process, sends it through the openai, anthropic and google-genai SDKs as an Authorization
(Bearer) header, an api-key, x-api-key and x-goog-api-key header, a Vertex AI OAuth token and a
?key= query parameter, on successful calls, streams, HTTP errors, a stream that fails midway and a
connection error, with content capture switched on and genai-cost's logger at DEBUG. Everything
the run exports or writes is then searched for the key (as is, base64-encoded as in Basic auth,
and percent-encoded): every OTLP request received (spans, metrics, log records), the Prometheus
scrape, and the app's stdout and stderr.

Positive controls keep the scan honest: the key really reached the mock provider (its request log
keeps query strings), the captured prompt text is found in the exported spans, and a warning
genai-cost logged is found in both stderr and the exported log records.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers import free_port
from tests.helpers.instrumented import base_env, otel_env
from tests.helpers.otlp import LOGS_PATH, METRICS_PATH, TRACES_PATH, OtlpReceiver, SpanRecord
from tests.helpers.prom import wait_for_scrape

KEY = "sk-scan-7Hq2ZpX9wVb4LmN8cR1tY6uJ3kD5fG0a"
FORMS = {
    "plain": KEY,
    "basic-auth base64": base64.b64encode(f":{KEY}".encode()).decode(),
    "base64": base64.b64encode(KEY.encode()).decode(),
    "percent-encoded": urllib.parse.quote(KEY, safe=""),
    "key tail": KEY[-16:],  # a key masked down to its end is still a leak of most of it
}
EXPECTED_OUTCOMES = [
    "bearer-chat:ok", "bearer-stream:ok", "bearer-responses:ok", "bearer-embeddings:ok",
    "bearer-401:AuthenticationError", "extra-header-and-query:ok", "azure-chat:ok",
    "azure-403:PermissionDeniedError", "query-chat:ok", "query-unknown-model:ok", "query-500:InternalServerError",
    "unreachable:APIConnectionError",
    "anthropic-create:ok", "anthropic-stream:ok", "anthropic-401:AuthenticationError",
    "anthropic-stream-error:APIStatusError", "anthropic-bearer:ok", "anthropic-query-500:InternalServerError",
    "gemini-generate:ok", "gemini-stream:ok", "gemini-400:ClientError", "vertex-generate:ok", "vertex-403:ClientError",
]  # fmt: skip
CALLS = len(EXPECTED_OUTCOMES)


@dataclass
class Run:
    exported: dict[str, bytes]  # what was exported or written, by where it came from
    spans: list[SpanRecord]
    outcomes: list[str]
    stderr: str
    mock: MockProvider
    mock_anthropic: MockProvider
    mock_gemini: MockProvider
    mock_vertex: MockProvider


def _leaks(text: bytes) -> list[str]:
    return [form for form, value in FORMS.items() if value.encode() in text]


@pytest.fixture(scope="module")
def mock_anthropic() -> Iterator[MockProvider]:
    with MockProvider(flavor="anthropic") as mock:
        yield mock


@pytest.fixture(scope="module")
def mock_gemini() -> Iterator[MockProvider]:
    with MockProvider(flavor="gemini") as mock:
        yield mock


@pytest.fixture(scope="module")
def mock_vertex() -> Iterator[MockProvider]:
    with MockProvider(flavor="vertex") as mock:
        yield mock


@pytest.fixture(scope="module")
def run(
    otlp_receiver: OtlpReceiver,
    mock_openai: MockProvider,
    mock_anthropic: MockProvider,
    mock_gemini: MockProvider,
    mock_vertex: MockProvider,
    run_instrumented: Any,
) -> Run:
    prometheus_port = free_port()
    env = base_env(**otel_env("secret-scan", otlp_receiver.traces_url, prometheus_port))
    env.update(
        OTEL_METRICS_EXPORTER="otlp,prometheus",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=otlp_receiver.metrics_url,
        OTEL_METRIC_EXPORT_INTERVAL="500",
        OTEL_LOGS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=otlp_receiver.logs_url,
        OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED="true",
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="SPAN_ONLY",
        GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock_openai.port}=openai",
        GENAI_COST_LABEL_LIMIT="not-a-number",  # one warning line, to prove logs are scanned
        OPENAI_API_KEY=KEY,
        AZURE_OPENAI_API_KEY=KEY,
        OPENAI_BASE_URL=mock_openai.base_url,
        MOCK_ROOT_URL=mock_openai.root_url,
        CLOSED_URL=f"http://127.0.0.1:{free_port()}/v1",
        ANTHROPIC_API_KEY=KEY,
        ANTHROPIC_BASE_URL=mock_anthropic.root_url,
        GEMINI_URL=mock_gemini.root_url,
        VERTEX_URL=mock_vertex.root_url,
    )
    app = run_instrumented("secret_app.py", env)
    try:
        done = app.wait_for_line(lambda line: line.startswith("DONE "), timeout=30)
        scrape = wait_for_scrape(
            f"http://127.0.0.1:{prometheus_port}/metrics", ["gen_ai_client_cost_usd_total"], timeout=10
        )
        app.send_line("exit")
        assert app.wait(timeout=20) == 0, app.diagnostics()
    finally:
        app.kill()
    spans = otlp_receiver.wait_for_spans(lambda s: sum(x.scope_name == "genai_cost" for x in s) >= CALLS, timeout=10)
    exported = {"prometheus scrape": scrape.text.encode(), "stdout": "\n".join(app.stdout_lines).encode()}
    exported["stderr"] = app.stderr_text.encode()
    for path in (TRACES_PATH, METRICS_PATH, LOGS_PATH):
        requests = otlp_receiver.requests(path)
        exported[f"OTLP {path} (wire)"] = b"".join(r.SerializeToString() for r in requests)
        exported[f"OTLP {path} (text)"] = "\n".join(str(r) for r in requests).encode()
    outcomes = json.loads(done.removeprefix("DONE "))
    return Run(exported, spans, outcomes, app.stderr_text, mock_openai, mock_anthropic, mock_gemini, mock_vertex)


def test_the_app_made_every_call(run: Run) -> None:
    assert run.outcomes == EXPECTED_OUTCOMES
    ours = [s for s in run.spans if s.scope_name == "genai_cost"]
    assert len(ours) == CALLS
    assert sorted(s.attributes.get("error.type", "") for s in ours if s.status_code == "ERROR") == [
        "400", "401", "401", "403", "403", "500", "500", "anthropic.APIStatusError", "openai.APIConnectionError",
    ]  # fmt: skip
    by_provider: dict[str, int] = {}
    for span in ours:
        provider = span.attributes["gen_ai.provider.name"]
        by_provider[provider] = by_provider.get(provider, 0) + 1
    # GENAI_COST_PROVIDER_MAP names the openai mock (Azure client included) openai.
    assert by_provider == {"openai": 12, "anthropic": 6, "gcp.gemini": 3, "gcp.vertex_ai": 2}


def test_the_stream_that_failed_midway_kept_its_usage(run: Run) -> None:
    [span] = [s for s in run.spans if s.attributes.get("error.type") == "anthropic.APIStatusError"]
    assert span.attributes["gen_ai.usage.output_tokens"] == 1  # message_start's, reported before the error
    assert span.attributes["gen_ai.usage.input_tokens"] > 0 and span.attributes["gen_ai.usage.cost"] > 0


def test_the_key_was_really_sent(run: Run) -> None:
    sent_in_query = [r for r in run.mock.requests if r.query.get("key") == KEY]
    assert len(sent_in_query) == 4  # query-chat, query-unknown-model, query-500, extra-header-and-query
    assert [r.query.get("key") for r in run.mock_anthropic.requests].count(KEY) == 1  # anthropic-query-500
    # Credential headers are kept out of the mock's request log; the calls themselves arrived.
    assert len(run.mock_anthropic.requests) == 6
    assert len(run.mock_gemini.requests) == 3 and len(run.mock_vertex.requests) == 2
    assert all(r.path.startswith("/v1beta1/projects/scan-project/") for r in run.mock_vertex.requests)


def test_the_scan_sees_content_and_logs(run: Run) -> None:
    assert b"canary-prompt" in run.exported[f"OTLP {TRACES_PATH} (wire)"]
    # Every SDK's captured prompts are in the scanned spans.
    captured = {
        s.attributes["gen_ai.provider.name"]
        for s in run.spans
        if s.scope_name == "genai_cost" and "canary-prompt" in str(s.attributes.get("gen_ai.input.messages"))
    }
    assert captured == {"openai", "anthropic", "gcp.gemini", "gcp.vertex_ai"}
    assert b"genai_cost_attribution" not in run.exported["prometheus scrape"]  # nothing overflowed
    assert b"gen_ai_client_cost_usd_total" in run.exported["prometheus scrape"]
    assert b"gen_ai.client.cost" in run.exported[f"OTLP {METRICS_PATH} (wire)"]
    # The bad setting is read while instrumenting, before the app sets up its own log handler: its
    # warning reaches the OTLP logs. The unknown model's warning comes during the run: both.
    assert b"ignoring GENAI_COST_LABEL_LIMIT='not-a-number'" in run.exported[f"OTLP {LOGS_PATH} (wire)"]
    unpriced = b"no price for model 'mock-unpriced'"
    assert unpriced in run.exported["stderr"]
    assert unpriced in run.exported[f"OTLP {LOGS_PATH} (wire)"]


@pytest.mark.parametrize(
    "where",
    ["prometheus scrape", "stdout", "stderr"]
    + [f"OTLP {p} ({f})" for p in (TRACES_PATH, METRICS_PATH, LOGS_PATH) for f in ("wire", "text")],
)
def test_no_form_of_the_key_anywhere(run: Run, where: str) -> None:
    assert run.exported[where], f"nothing was exported to {where}"
    assert _leaks(run.exported[where]) == []
