"""`genai-cost demo`: a realistic LLM workload, fully offline, and what genai-cost makes of it.

Local mock providers (OpenAI, xAI, OpenRouter, Anthropic, Gemini, Bedrock and Mistral wire formats)
stand in for the real APIs; the real openai, anthropic, google-genai, boto3 and mistralai SDKs talk to
them over HTTP, instrumented by genai-cost with a real OpenTelemetry SDK.
The table at the end is read back from the live Prometheus endpoint, so it shows exactly what a
Prometheus server scraping the app would see.
"""

from __future__ import annotations

import logging
import signal
import sys
import time

from genai_cost import names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.bedrock import BedrockCostInstrumentor
from genai_cost.demo.setup import (
    API_KEY,
    DEFAULT_PORT,
    HOST,
    MOCK_FLAVORS,
    OPENAI_FLAVORS,
    Exporters,
    mock_providers,
    provider_map,
    start_exporters,
)
from genai_cost.demo.table import format_notes, format_table, parse_metrics, scrape
from genai_cost.demo.workload import (
    SYSTEM_PROMPT,
    Step,
    anthropic_workload,
    build_workload,
    google_genai_workload,
    run_workload,
)
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mistral import MistralCostInstrumentor
from genai_cost.openai import OpenAICostInstrumentor

__all__ = [
    "API_KEY", "DEFAULT_PORT", "MOCK_FLAVORS", "SYSTEM_PROMPT", "Step", "anthropic_workload", "build_workload",
    "google_genai_workload", "run", "run_workload",
]  # fmt: skip


def _genai_spans(exporters: Exporters) -> int:
    return sum(
        1
        for span in exporters.spans.get_finished_spans()
        if span.instrumentation_scope is not None and span.instrumentation_scope.name == names.SCOPE_NAME
    )


def _instrumented_run(exporters: Exporters) -> int:
    instrumentors = (
        OpenAICostInstrumentor(), AnthropicCostInstrumentor(), GoogleGenAICostInstrumentor(), BedrockCostInstrumentor(),
        MistralCostInstrumentor(),
    )  # fmt: skip
    with mock_providers() as urls, provider_map({flavor: urls[flavor] for flavor in OPENAI_FLAVORS}):
        for instrumentor in instrumentors:
            instrumentor.instrument(tracer_provider=exporters.tracer_provider, meter_provider=exporters.meter_provider)
        try:
            return run_workload(urls)
        finally:
            for instrumentor in instrumentors:
                instrumentor.uninstrument()


def _wait_for_signal() -> None:
    """Block until Ctrl-C or SIGTERM."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    print("serving metrics; press Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(exporters: Exporters) -> bool:
    try:
        report = parse_metrics(scrape(exporters.url))
    except OSError as error:
        print(f"genai-cost demo: could not scrape {exporters.url}: {error}", file=sys.stderr)
        return False
    print()
    print(format_table(report.rows))
    print()
    print("\n".join(format_notes(report, _genai_spans(exporters))))
    print(f"metrics endpoint: {exporters.url}", flush=True)
    return True


def run(port: int = DEFAULT_PORT, serve: bool = False) -> int:
    """Run the demo; 0 on success, 1 if the workload failed, 2 if it could not start."""
    logging.basicConfig(level=logging.WARNING, format="        %(message)s")
    try:
        exporters = start_exporters(port)
    except OSError as error:
        print(f"genai-cost demo: cannot serve metrics on {HOST}:{port}: {error.strerror or error}", file=sys.stderr)
        return 2
    try:
        try:
            failures = _instrumented_run(exporters)
        except OSError as error:
            print(f"genai-cost demo: could not start the mock providers: {error}", file=sys.stderr)
            return 2
        if not _report(exporters):
            return 1
        if serve:
            _wait_for_signal()
        return 1 if failures else 0
    finally:
        exporters.close()
