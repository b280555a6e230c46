"""What the overhead benchmark compares: nothing, the floor, genai-cost and its peers.

Each entry installs one instrumentation into a fresh process with a real OTel SDK pipeline (a
batch span processor and a metric reader). `floor` is the irreducible OTel SDK work for the
signals genai-cost produces synchronously: one CLIENT span made current around the call, with the
same attributes genai-cost sets (values read straight off the response, prices hard-coded), and
the same three histogram records (duration, input and output token usage) with the same attributes
(the response model among them, as the semantic conventions ask), written by hand with nothing
else: no provider detection, no price lookup, no counters.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opentelemetry import context, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, TracerProvider


class Unavailable(Exception):
    """The instrumentation is not installed, or does not work with the SDK version installed."""


@dataclass(frozen=True)
class Instrumentation:
    name: str
    install: Callable[[str, TracerProvider, MeterProvider], None]  # (sdk, tracer provider, meter provider)


def _none(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    pass


def _genai_cost(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    from genai_cost.openai import OpenAICostInstrumentor

    instrumentors = {"openai": OpenAICostInstrumentor}
    instrumentors[sdk]().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def _official(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    try:
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor
    except ImportError as error:
        raise Unavailable(f"opentelemetry-instrumentation-genai-openai: {error}") from error
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def _openllmetry(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    os.environ.setdefault("TRACELOOP_TRACE_CONTENT", "false")  # like the others: no prompt capture
    try:
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    except ImportError as error:
        raise Unavailable(f"opentelemetry-instrumentation-openai: {error}") from error
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def _openlit(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    try:
        import openlit
    except ImportError as error:  # openlit 1.45 requires openai<3
        raise Unavailable(f"openlit: {error}") from error
    openlit.init(tracer=trace.get_tracer("openlit", tracer_provider=tracer_provider), disable_batch=False)


# --- the floor -------------------------------------------------------------------------------

_FLOOR_TARGETS = {"openai": ("openai.resources.chat.completions.completions", "Completions.create")}


def _floor(sdk: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    import wrapt

    tracer = trace.get_tracer("floor", tracer_provider=tracer_provider)
    meter = meter_provider.get_meter("floor")
    duration = meter.create_histogram("gen_ai.client.operation.duration", unit="s")
    token_usage = meter.create_histogram("gen_ai.client.token.usage", unit="{token}")
    starts: dict[str, dict[str, Any]] = {}  # request model -> span start attributes
    by_model: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}  # metric points'

    def start_attributes(model: str) -> dict[str, Any]:
        found = starts.get(model)
        if found is None:
            found = starts[model] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": sdk,
                                     "gen_ai.request.model": model, "server.address": "api.openai.com",
                                     "server.port": 443}  # fmt: skip
        return found

    def point_attributes(model: str, response_model: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        found = by_model.get((model, response_model))
        if found is None:
            common = {**start_attributes(model), "gen_ai.response.model": response_model}
            inputs, outputs = {**common, "gen_ai.token.type": "input"}, {**common, "gen_ai.token.type": "output"}
            found = by_model[(model, response_model)] = (common, inputs, outputs)
        return found

    def end(span: Any, started: float, response: Any, usage: Any, reasons: tuple[str, ...], request_model: str) -> None:
        common, input_attrs, output_attrs = point_attributes(request_model, response.model)
        if usage is not None:
            cached = usage.prompt_tokens_details.cached_tokens
            span.set_attributes(
                {
                    "gen_ai.response.model": response.model,
                    "gen_ai.response.id": response.id,
                    "gen_ai.response.finish_reasons": reasons,
                    "gen_ai.usage.input_tokens": usage.prompt_tokens,
                    "gen_ai.usage.output_tokens": usage.completion_tokens,
                    "gen_ai.usage.cache_read.input_tokens": cached,
                    "gen_ai.usage.cache_write.input_tokens": 0,
                    "gen_ai.usage.reasoning.output_tokens": usage.completion_tokens_details.reasoning_tokens,
                    "gen_ai.usage.cost": (usage.prompt_tokens * 0.15 - cached * 0.075 + usage.completion_tokens * 0.6)
                    / 1e6,
                    "genai_cost.cost.cache_savings": cached * 0.075 / 1e6,
                    "genai_cost.cost.source": "bundled",
                    "genai_cost.price.entry": "openai/gpt-4o-mini",
                }
            )
            token_usage.record(usage.prompt_tokens, input_attrs)
            token_usage.record(usage.completion_tokens, output_attrs)
        duration.record(time.perf_counter() - started, common)
        span.end()

    def stream(chunks: Any, span: Any, started: float, request_model: str) -> Iterator[Any]:
        usage = last = None
        reasons: tuple[str, ...] = ()
        try:
            for chunk in chunks:
                last = chunk
                if chunk.usage is not None:
                    usage = chunk.usage
                elif chunk.choices and chunk.choices[0].finish_reason:
                    reasons = (chunk.choices[0].finish_reason,)
                yield chunk
        finally:
            end(span, started, last, usage, reasons, request_model)

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        started = time.perf_counter()
        request_model = kwargs["model"]
        attributes = start_attributes(request_model)
        span = tracer.start_span(f"chat {request_model}", kind=SpanKind.CLIENT, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        try:
            result = wrapped(*args, **kwargs)
        finally:
            context.detach(token)
        if kwargs.get("stream"):
            return stream(result, span, started, request_model)
        reasons = tuple(choice.finish_reason for choice in result.choices)
        end(span, started, result, result.usage, reasons, request_model)
        return result

    module, method = _FLOOR_TARGETS[sdk]
    wrapt.wrap_function_wrapper(module, method, wrapper)


INSTRUMENTATIONS: dict[str, Instrumentation] = {
    i.name: i
    for i in (
        Instrumentation("none", _none),
        Instrumentation("floor", _floor),
        Instrumentation("genai-cost", _genai_cost),
        Instrumentation("official", _official),
        Instrumentation("openllmetry", _openllmetry),
        Instrumentation("openlit", _openlit),
    )
}


# --- genai-cost's per-chunk work, isolated -----------------------------------------------------


def genai_cost_chunk_us(sdk: str, chunks: list[Any], tracer_provider: TracerProvider, meter_provider: MeterProvider,
                        repeats: int = 15, rounds: int = 20) -> float:  # fmt: skip
    """genai-cost's stream proxy and accumulator per chunk, over chunks the SDK already parsed.

    The end-to-end slope between a short and a long stream carries the SDK's own per-chunk
    parsing (tens of us) and its noise; this isolates what genai-cost adds to each chunk.
    """
    import statistics

    from stream_chunks import SDKS, per_chunk_us

    from genai_cost.handler import get_telemetry

    if sdk not in SDKS:
        raise Unavailable(f"no isolated chunk measurement for {sdk}")
    stream = SDKS[sdk].stream(get_telemetry(tracer_provider, meter_provider))
    short = chunks[:3] + chunks[-2:]  # the same call with five chunks: the per-call part
    return statistics.median(per_chunk_us(stream, chunks, short, repeats, rounds))
