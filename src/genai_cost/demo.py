"""`genai-cost demo`: a realistic LLM workload, fully offline, and what genai-cost makes of it.

Local mock providers (OpenAI, xAI, OpenRouter, Anthropic, Gemini, Bedrock and Mistral wire formats)
stand in for the real APIs; the real openai, anthropic, google-genai, boto3 and mistralai SDKs talk to
them over HTTP, instrumented by genai-cost with a real OpenTelemetry SDK.
The table at the end is read back from the live Prometheus endpoint, so it shows exactly what a
Prometheus server scraping the app would see.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import urllib.request
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import anthropic
import openai
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from genai_cost import config, endpoints, names
from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.bedrock import BedrockCostInstrumentor
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mistral import MistralCostInstrumentor
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor

DEFAULT_PORT = 9464
HOST = "127.0.0.1"
# OpenAI-compatible mocks, reached through the openai SDK: each one's flavor is also its
# gen_ai.provider.name, told to genai-cost by the provider map. The anthropic and google-genai SDKs
# name their provider themselves.
OPENAI_FLAVORS = ("openai", "x_ai", "openrouter")
MOCK_FLAVORS = (*OPENAI_FLAVORS, "anthropic", "gemini", "bedrock", "mistral")
API_KEY = "demo-key-for-the-local-mock"  # the mocks accept any key

# --- local mock providers and the environment genai-cost reads ----------------------------------


@contextmanager
def mock_providers() -> Iterator[dict[str, str]]:
    """Start one mock per flavor; yields flavor -> the URL its SDK takes as base URL."""
    with ExitStack() as stack:
        mocks = {flavor: MockProvider(HOST, 0, flavor).start() for flavor in MOCK_FLAVORS}
        for mock in mocks.values():
            stack.callback(mock.stop)
        # The openai SDK wants the API's base (".../v1"); the others add their own path.
        yield {flavor: mock.base_url if flavor in OPENAI_FLAVORS else mock.root_url for flavor, mock in mocks.items()}


@contextmanager
def provider_map(base_urls: Mapping[str, str]) -> Iterator[None]:
    """Map each mock's host:port to its provider in GENAI_COST_PROVIDER_MAP, for this block."""
    mapping = ",".join(f"{_host_port(url)}={flavor}" for flavor, url in base_urls.items())
    previous = os.environ.get(config.ENV_PROVIDER_MAP)
    os.environ[config.ENV_PROVIDER_MAP] = mapping
    _reload_config()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(config.ENV_PROVIDER_MAP, None)
        else:
            os.environ[config.ENV_PROVIDER_MAP] = previous
        _reload_config()


def _host_port(base_url: str) -> str:
    return base_url.split("//", 1)[1].split("/", 1)[0]


def _reload_config() -> None:
    config.reset()
    endpoints.reset_cache()


# --- OpenTelemetry: spans in memory, metrics on a Prometheus endpoint ----------------------------


@dataclass
class Exporters:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    spans: InMemorySpanExporter
    server: Any  # the WSGI server of prometheus_client
    url: str

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.meter_provider.shutdown()
        self.tracer_provider.shutdown()


def start_exporters(port: int) -> Exporters:
    """Serve metrics on HOST:port (0: a free port); raises OSError when the port is taken."""
    registry = CollectorRegistry()
    server, _thread = start_http_server(port, addr=HOST, registry=registry)
    resource = Resource.create({"service.name": "genai-cost-demo"})
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = PrometheusMetricReader(registry=registry)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    url = f"http://{HOST}:{server.server_port}/metrics"
    return Exporters(tracer_provider, meter_provider, spans, server, url)


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
    from genai_cost import demo_bedrock_mistral as more  # it builds on this module's Step

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


# --- reading the telemetry back from Prometheus ------------------------------------------------------


@dataclass
class Row:
    calls: float = 0
    input: float = 0
    cached: float = 0
    written: float = 0
    output: float = 0
    cost: float = 0
    savings: float = 0
    unpriced: float = 0

    def add(self, other: Row) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_TOKEN_FIELDS = {
    names.TOKEN_INPUT: "input",
    names.TOKEN_CACHE_READ: "cached",
    names.TOKEN_CACHE_WRITE: "written",
    names.TOKEN_OUTPUT: "output",
}
_SERIES_FIELDS = {
    "gen_ai_client_cost_usd_total": "cost",
    "gen_ai_client_cost_savings_usd_total": "savings",
    "gen_ai_client_unpriced_total": "unpriced",
    "gen_ai_client_operation_duration_seconds_count": "calls",
}


def _prom(attribute: str) -> str:
    return attribute.replace(".", "_")


def _row_key(labels: Mapping[str, str]) -> tuple[str, str]:
    model = labels.get(_prom(names.RESPONSE_MODEL)) or labels.get(_prom(names.REQUEST_MODEL)) or "(none)"
    return labels.get(_prom(names.PROVIDER_NAME), "(none)"), model


def _field_of(name: str, labels: Mapping[str, str]) -> str | None:
    if name == "gen_ai_client_tokens_total":
        return _TOKEN_FIELDS.get(labels.get(_prom(names.TOKEN_TYPE), ""))
    return _SERIES_FIELDS.get(name)


@dataclass
class Report:
    rows: dict[tuple[str, str], Row]
    unpriced_reasons: dict[tuple[str, str, str], float]  # (provider, model, reason) -> calls


def parse_metrics(text: str) -> Report:
    """Rows per (provider, model) from the Prometheus text exposition of genai-cost's series."""
    rows: dict[tuple[str, str], Row] = defaultdict(Row)
    reasons: dict[tuple[str, str, str], float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            field = _field_of(sample.name, sample.labels)
            if field is None:
                continue
            key = _row_key(sample.labels)
            row = rows[key]
            setattr(row, field, getattr(row, field) + sample.value)
            if field == "unpriced" and sample.value:
                reasons[(*key, sample.labels.get(_prom(names.UNPRICED_REASON), "?"))] += sample.value
    return Report(dict(rows), dict(reasons))


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


# --- the table ---------------------------------------------------------------------------------------

_HEADERS = (
    "provider",
    "model",
    "calls",
    "input",
    "cached",
    "written",
    "output",
    "cache hit",
    "cost USD",
    "savings USD",
    "unpriced",
)


def _cells(provider: str, model: str, row: Row) -> tuple[str, ...]:
    hit_rate = f"{row.cached / row.input:.1%}" if row.input else "-"
    # Rows with no cost series (unpriced models, failed calls) show "-", never a made-up $0.
    priced = bool(row.cost or row.savings)
    cost = f"{row.cost:.6f}" if priced else "-"
    counts = (f"{int(v)}" for v in (row.calls, row.input, row.cached, row.written, row.output))
    savings = f"{row.savings:.6f}" if priced else "-"
    return (provider, model, *counts, hit_rate, cost, savings, f"{int(row.unpriced)}")


def format_table(rows: Mapping[tuple[str, str], Row]) -> str:
    total = Row()
    lines = [_HEADERS]
    for (provider, model), row in sorted(rows.items()):
        lines.append(_cells(provider, model, row))
        total.add(row)
    lines.append(_cells("TOTAL", "", total))
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADERS))]

    def render(cells: tuple[str, ...]) -> str:
        text = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(text).rstrip()

    rule = "-" * len(render(lines[0]))
    return "\n".join([render(lines[0]), rule, *map(render, lines[1:-1]), rule, render(lines[-1])])


_REASON_NOTES = {
    names.UNPRICED_UNKNOWN_MODEL: "no price known for this model",
    names.UNPRICED_NO_USAGE: "no usage reported (e.g. a stream left before its usage chunk)",
    names.UNPRICED_LOCAL_MODEL: "local model without a user price",
    names.UNPRICED_INVALID_USAGE: "inconsistent usage",
}


def format_notes(report: Report, spans: int) -> list[str]:
    notes = [
        f"unpriced: {provider}/{model}, {int(n)} call(s): {reason}, {_REASON_NOTES.get(reason, reason)}"
        for (provider, model, reason), n in sorted(report.unpriced_reasons.items())
    ]
    calls = int(sum(row.calls for row in report.rows.values()))
    verdict = "match" if calls == spans else "MISMATCH"
    notes.append(f"cross-check: {calls} calls in the metrics, {spans} spans recorded: {verdict}")
    return notes


# --- the command -------------------------------------------------------------------------------------


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
