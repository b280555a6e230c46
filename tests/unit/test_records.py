"""A CallRecord is built from the very attributes the call's span ends with."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

from genai_cost import names
from genai_cost.call import Call
from genai_cost.endpoints import endpoint_for
from genai_cost.records import CallRecord


def test_a_record_reads_the_span_attributes_and_the_call() -> None:
    span = TracerProvider().get_tracer("t").start_span("chat gpt-4.1")
    attribution = {"user.id": "alice", names.CONVERSATION_ID: "conv_1"}
    call = Call(None, span, "chat", endpoint_for("https://api.openai.com/v1"), "gpt-4.1", (), False, attribution)  # type: ignore[arg-type]
    attributes = {
        names.RESPONSE_MODEL: "gpt-4.1-2025-04-14",
        names.USAGE_INPUT_TOKENS: 100,
        names.USAGE_OUTPUT_TOKENS: 20,
        names.USAGE_CACHE_READ_INPUT_TOKENS: 64,
        names.USAGE_CACHE_WRITE_INPUT_TOKENS: 0,
        names.USAGE_REASONING_OUTPUT_TOKENS: 5,
        names.USAGE_COST: 0.000_3,
        names.COST_SOURCE: "bundled",
    }
    record = CallRecord.of(call, attributes, 0.25)
    context = span.get_span_context()
    assert record == CallRecord(
        "openai", "chat", "gpt-4.1", "gpt-4.1-2025-04-14", 100, 20, 64, 0, 5, 0.000_3, "bundled", None, 0.25, None,
        attribution, "conv_1", format(context.trace_id, "032x"), format(context.span_id, "016x"),
    )  # fmt: skip
    assert record.tokens == {"input": 100, "output": 20, "cache_read": 64, "cache_write": 0, "reasoning": 5}
    attribution["user.id"] = "changed later"
    assert record.attribution["user.id"] == "alice"  # a copy, read-only


def test_a_failed_call_without_usage() -> None:
    span = TracerProvider().get_tracer("t").start_span("chat")
    call = Call(None, span, "chat", endpoint_for("https://api.anthropic.com"), "", ())  # type: ignore[arg-type]
    record = CallRecord.of(call, {names.ERROR_TYPE: "429"}, 0.1)
    assert (record.cost_usd, record.input_tokens, record.error_type, dict(record.attribution)) == (None, 0, "429", {})
