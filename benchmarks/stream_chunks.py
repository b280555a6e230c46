"""genai-cost's work per stream chunk, for each SDK's stream proxy and accumulator, in isolation.

    python benchmarks/stream_chunks.py              # 20 rounds per SDK
    python benchmarks/stream_chunks.py --quick      # smoke run: every SDK's path runs, figures are rough

The chunks are parsed once by the SDK's own parser (openai and anthropic: their clients over
`httpx2.MockTransport` serving canned server-sent events; google-genai: the response type's
`_from_response`, which its stream calls for each chunk), so what is timed is only what genai-cost
adds to each chunk the app reads: the proxy's `__next__`, the accumulator's `add`, and for
google-genai the per-request observer and the context switch around each step. The per-chunk
figure is the slope between a long stream and a short one of the same call (process CPU time, many
repetitions, median of rounds), so the per-call work (span, pricing, metric records) drops out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from workloads import MESSAGES, _openai_stream

LONG = 222  # content chunks in the long stream
SHORT = 2  # content chunks in the short stream: the same call, nearly no content

# --- chunks, parsed by each SDK -----------------------------------------------------------------


def _sse(events: list[tuple[str | None, dict[str, Any]]], done: bool = False) -> bytes:
    lines = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        lines.append(f"{head}data: {json.dumps(data)}\n\n")
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def _served(body: bytes) -> Any:
    import httpx2

    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return httpx2.Client(transport=httpx2.MockTransport(answer))


def openai_chunks(content_chunks: int) -> list[Any]:
    import openai

    client = openai.OpenAI(api_key="bench", base_url="https://api.openai.com/v1",
                           http_client=_served(_openai_stream(content_chunks)), max_retries=0)  # fmt: skip
    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    return list(stream)


def anthropic_chunks(content_chunks: int) -> list[Any]:
    import anthropic

    usage = {"input_tokens": 1200, "output_tokens": 1, "cache_read_input_tokens": 1024,
             "cache_creation_input_tokens": 0, "service_tier": "standard"}  # fmt: skip
    message = {"id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
               "content": [], "stop_reason": None, "stop_sequence": None, "usage": usage}  # fmt: skip
    events: list[tuple[str | None, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
    ]  # fmt: skip
    events += [
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": f"word{i} "}})
        for i in range(content_chunks)
    ]  # fmt: skip
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                           "usage": {"output_tokens": 60}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip
    client = anthropic.Anthropic(api_key="bench", http_client=_served(_sse(events)), max_retries=0)
    stream = client.messages.create(
        model="claude-sonnet-4-6", max_tokens=1024, messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    return list(stream)


def google_genai_chunks(content_chunks: int) -> list[Any]:
    from google.genai import types

    def chunk(i: int, finish: str | None = None) -> Any:
        # Gemini reports the running usage on every chunk of a stream.
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": f"word{i} "}]}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        body = {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", "responseId": "bench",
                "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": i + 1,
                                  "totalTokenCount": 1201 + i, "cachedContentTokenCount": 1024}}  # fmt: skip
        return types.GenerateContentResponse._from_response(response=body, kwargs={})

    return [chunk(i) for i in range(content_chunks)] + [chunk(content_chunks, "STOP")]


# --- genai-cost's stream, over those chunks -----------------------------------------------------


def _telemetry() -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from genai_cost.handler import get_telemetry

    return get_telemetry(TracerProvider(), MeterProvider(metric_readers=[InMemoryMetricReader()]))


def _openai_stream_over(telemetry: Any) -> Callable[[list[Any]], Iterator[Any]]:
    from genai_cost.endpoints import endpoint_for
    from genai_cost.instrumentation.stream import SyncStream
    from genai_cost.openai.extract import ChatStreamAccumulator
    from genai_cost.openai.wrappers import CHAT

    endpoint = endpoint_for("https://api.openai.com/v1")

    def stream(items: list[Any]) -> Iterator[Any]:
        call = telemetry.start(CHAT.operation, endpoint, "gpt-4o", True)
        return SyncStream(iter(items), call, ChatStreamAccumulator(endpoint.provider, False))

    return stream


def _anthropic_stream(telemetry: Any) -> Callable[[list[Any]], Iterator[Any]]:
    from genai_cost.anthropic.extract import MessageStreamAccumulator
    from genai_cost.anthropic.wrappers import MESSAGES
    from genai_cost.endpoints import endpoint_for
    from genai_cost.instrumentation.stream import SyncStream

    endpoint = endpoint_for("https://api.anthropic.com", "anthropic")

    def stream(items: list[Any]) -> Iterator[Any]:
        call = telemetry.start(MESSAGES.operation, endpoint, "claude-sonnet-4-6", True)
        return SyncStream(iter(items), call, MessageStreamAccumulator())

    return stream


def _google_genai_stream(telemetry: Any) -> Callable[[list[Any]], Iterator[Any]]:
    from genai_cost import names
    from genai_cost.endpoints import endpoint_for
    from genai_cost.google_genai import http_requests

    endpoint = endpoint_for("https://generativelanguage.googleapis.com/", "gcp.gemini")

    def stream(items: list[Any]) -> Iterator[Any]:
        # As in a real stream: the SDK's request generator runs under the per-request observer.
        call = telemetry.start(names.OP_GENERATE_CONTENT, endpoint, "gemini-2.5-flash", True)
        requests = http_requests.Requests()
        accumulator = http_requests.StreamAccumulator(requests, None)
        chunks = http_requests._observe(iter(items), requests.new())
        return http_requests.GeminiStream(chunks, call, accumulator, requests)

    return stream


@dataclass(frozen=True)
class StreamBench:
    label: str
    chunks: Callable[[int], list[Any]]  # content chunks -> the whole stream, parsed by the SDK
    stream: Callable[[Any], Callable[[list[Any]], Iterator[Any]]]  # telemetry -> genai-cost's stream over items


SDKS: dict[str, StreamBench] = {
    "openai": StreamBench("openai chat", openai_chunks, _openai_stream_over),
    "anthropic": StreamBench("anthropic messages", anthropic_chunks, _anthropic_stream),
    "google-genai": StreamBench("google-genai generate_content", google_genai_chunks, _google_genai_stream),
}


def per_chunk_us(stream: Callable[[list[Any]], Iterator[Any]], long: list[Any], short: list[Any],
                 repeats: int, rounds: int) -> list[float]:  # fmt: skip
    """The slope, in us per chunk, between consuming the long and the short stream, one per round."""

    def per_run(items: list[Any]) -> float:
        started = time.process_time()
        for _ in range(repeats):
            for _ in stream(items):
                pass
        return (time.process_time() - started) / repeats

    for _ in range(3):  # warm up
        per_run(long), per_run(short)
    return [(per_run(long) - per_run(short)) / (len(long) - len(short)) * 1e6 for _ in range(rounds)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="rounds per SDK (the median is reported)")
    parser.add_argument("--repeats", type=int, default=40, help="streams consumed per timing")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 rounds of 2 streams")
    args = parser.parse_args(argv)
    rounds, repeats = (2, 2) if args.quick else (args.rounds, args.repeats)

    telemetry = _telemetry()
    print("| SDK stream (proxy + accumulator) | per chunk, us: median (25th .. 75th) |")
    print("|---|---|")
    for bench in SDKS.values():
        long, short = bench.chunks(LONG), bench.chunks(SHORT)
        slopes = sorted(per_chunk_us(bench.stream(telemetry), long, short, repeats, rounds))
        low, high = slopes[len(slopes) // 4], slopes[(3 * len(slopes)) // 4]
        print(f"| {bench.label} | {statistics.median(slopes):.2f} ({low:.2f} .. {high:.2f}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
