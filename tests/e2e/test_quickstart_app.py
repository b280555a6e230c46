"""The compose stack's quickstart app (examples/quickstart/app.py) under `opentelemetry-instrument`
against the bundled mock provider: what the stack's dashboards will show comes from these calls.

Two rounds: every call gets its span; the repeated long prompt is a cache hit in round two; the
reasoning model reports reasoning tokens; the unknown model is unpriced, not $0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers.instrumented import base_env, instrumented_argv, otel_env
from tests.helpers.otlp import METRICS_PATH, OtlpReceiver, attributes
from tests.helpers.process import AppProcess

APP = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "app.py"
ROUND = ["gpt-4o-mini", "gpt-4o-mini", "text-embedding-3-small", "o4-mini", "acme-internal-7b"]
M = 1_000_000
GPT_4O_MINI_IN, GPT_4O_MINI_CACHED, GPT_4O_MINI_OUT = 0.15, 0.075, 0.60  # USD per million (genai-prices)


def _last_cumulative_sum(receiver: OtlpReceiver, metric_name: str) -> dict[tuple, float]:
    """The newest data points of a metric pushed over OTLP (cumulative: the last export has it all)."""
    points: dict[tuple, float] = {}
    for request in receiver.requests(METRICS_PATH):
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == metric_name:
                        for point in metric.sum.data_points:
                            key = tuple(sorted(attributes(point.attributes).items()))
                            points[key] = point.as_double or float(point.as_int)
    return points


def test_quickstart_app_two_rounds(
    otlp_receiver: OtlpReceiver, mock_openai: MockProvider, prometheus_port: int
) -> None:
    env = base_env(
        **otel_env("quickstart", otlp_receiver.traces_url, prometheus_port),
        GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock_openai.port}=openai",
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=mock_openai.base_url,
    )
    # Metrics over OTLP, as in the compose stack; the SDK pushes its final values at exit.
    env.update(
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=otlp_receiver.metrics_url,
    )
    with AppProcess(instrumented_argv(APP, "--rounds", "2", "--interval", "0"), env=env) as app:
        assert app.wait(timeout=60) == 0, app.diagnostics()
    assert app.stdout_lines == ["round 1 done", "round 2 done"]
    assert "Error" not in app.stderr_text, app.stderr_text

    spans = otlp_receiver.wait_for_spans(lambda s: sum(x.scope_name == "genai_cost" for x in s) >= 10, timeout=10)
    ours = sorted((s for s in spans if s.scope_name == "genai_cost"), key=lambda s: s.start_time_unix_nano)
    assert [s.attributes["gen_ai.request.model"] for s in ours] == ROUND * 2
    assert all(s.status_code != "ERROR" for s in ours)

    first, second = ours[0].attributes, ours[5].attributes
    assert first["gen_ai.usage.input_tokens"] == second["gen_ai.usage.input_tokens"] >= 1024
    assert first["gen_ai.usage.cache_read.input_tokens"] == 0
    cached = second["gen_ai.usage.cache_read.input_tokens"]
    assert cached >= 1024
    expected = (
        (second["gen_ai.usage.input_tokens"] - cached) * GPT_4O_MINI_IN
        + cached * GPT_4O_MINI_CACHED
        + second["gen_ai.usage.output_tokens"] * GPT_4O_MINI_OUT
    ) / M
    assert second["gen_ai.usage.cost"] == pytest.approx(expected, rel=1e-9)
    assert second["genai_cost.cost.cache_savings"] == pytest.approx(
        cached * (GPT_4O_MINI_IN - GPT_4O_MINI_CACHED) / M, rel=1e-9
    )

    stream = ours[1].attributes
    assert stream["gen_ai.request.stream"] is True and stream["gen_ai.usage.output_tokens"] == 12
    reasoning = ours[3].attributes
    assert reasoning["gen_ai.usage.reasoning.output_tokens"] == 80  # 2 x 40 visible tokens (mock formula)
    unknown = ours[4].attributes
    assert unknown["genai_cost.unpriced.reason"] == "unknown_model" and "gen_ai.usage.cost" not in unknown

    total = sum(s.attributes.get("gen_ai.usage.cost", 0.0) for s in ours)
    assert sum(_last_cumulative_sum(otlp_receiver, "gen_ai.client.cost").values()) == pytest.approx(total, rel=1e-9)
    unpriced = _last_cumulative_sum(otlp_receiver, "gen_ai.client.unpriced")
    assert [value for key, value in unpriced.items() if ("gen_ai.request.model", "acme-internal-7b") in key] == [2]
