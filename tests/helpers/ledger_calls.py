"""Calls for the ledger tests: filler GenAI spans posted over OTLP, and totals summed from spans."""

from __future__ import annotations

import math
import random
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from genai_cost import names
from tests.helpers.otlp import SpanRecord

# Filler calls with incompressible notes: > 1 MB of zstd, so a 1 MB ledger file rotates.
FILLER_CALLS, FILLER_BATCH = 4000, 500


def _kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, str):
        return KeyValue(key=key, value=AnyValue(string_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(int_value=value))


def _filler(index: int, rng: random.Random) -> Span:
    start = time.time_ns()
    attributes = {
        names.OPERATION_NAME: "chat",
        names.PROVIDER_NAME: "openai",
        names.REQUEST_MODEL: "gpt-4o-mini",
        names.RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
        names.USAGE_INPUT_TOKENS: 100 + index % 97,
        names.USAGE_OUTPUT_TOKENS: 10 + index % 13,
        names.USAGE_COST: (100 + index % 97) * 0.15e-6 + (10 + index % 13) * 0.6e-6,
        names.COST_SOURCE: "bundled",
        "user.id": f"filler-{index % 7}",
        names.CONVERSATION_ID: f"filler-{index % 50}",
        "note": rng.randbytes(300).hex(),
    }
    return Span(
        trace_id=rng.randbytes(16),
        span_id=rng.randbytes(8),
        name="chat gpt-4o-mini",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 1_000_000 * (1 + index % 900),
        attributes=[_kv(k, v) for k, v in attributes.items()],
    )


def post_fillers(otlp_http_url: str) -> set[tuple[str, str]]:
    rng, ids = random.Random(7), set()
    resource = [_kv("service.name", "ledger-filler")]
    for first in range(0, FILLER_CALLS, FILLER_BATCH):
        spans = [_filler(i, rng) for i in range(first, first + FILLER_BATCH)]
        ids |= {(s.trace_id.hex(), s.span_id.hex()) for s in spans}
        request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
            resource={"attributes": resource}, scope_spans=[ScopeSpans(scope={"name": names.SCOPE_NAME}, spans=spans)]
        )])  # fmt: skip
        post = urllib.request.Request(
            otlp_http_url + "/v1/traces",
            data=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
        )
        with urllib.request.urlopen(post, timeout=30) as answer:
            assert answer.status == 200
    return ids


def truth(spans: list[SpanRecord], key: Callable[[SpanRecord], str]) -> dict[str, dict[str, float]]:
    totals: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for span in spans:
        group = totals[key(span)]
        group["calls"].append(1)
        group["cost_usd"].append(span.attributes.get(names.USAGE_COST, 0.0))
        group["input_tokens"].append(span.attributes.get(names.USAGE_INPUT_TOKENS, 0))
        group["output_tokens"].append(span.attributes.get(names.USAGE_OUTPUT_TOKENS, 0))
        group["errors"].append(1 if names.ERROR_TYPE in span.attributes else 0)
    return {k: {name: math.fsum(values) for name, values in v.items()} for k, v in totals.items()}


def check_totals(rows: list[dict[str, Any]], by: str, truth: dict[str, dict[str, float]]) -> None:
    got = {row[by]: row for row in rows}
    assert set(got) == set(truth)
    for key, expected in truth.items():
        row = got[key]
        assert int(row["calls"]) == expected["calls"], key
        assert int(row["errors"]) == expected["errors"], key
        assert int(row["input_tokens"]) == expected["input_tokens"], key
        assert int(row["output_tokens"]) == expected["output_tokens"], key
        assert row["cost_usd"] == pytest.approx(expected["cost_usd"], rel=1e-9, abs=0), key
