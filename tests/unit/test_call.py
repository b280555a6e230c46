"""call.py: a call priced at the batch tier, with parts billed at other models, and unpriced as a whole
when any part is; counters and span agree."""

from __future__ import annotations

import math

from genai_cost import names, providers
from genai_cost.endpoints import Endpoint
from genai_cost.handler import Telemetry
from genai_cost.outcome import Outcome
from genai_cost.pricing import PriceBook
from genai_cost.usage import Usage
from tests.conftest import Pipeline

M = 1_000_000
ANTHROPIC = providers.PROVIDERS["anthropic"]


def close(actual: float | None, expected: float) -> bool:
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-9, abs_tol=0.0)


def test_batch_tier_uses_the_batch_prices() -> None:
    book = PriceBook()
    usage = Usage(input_tokens=1000, output_tokens=100)
    # genai-prices 0.2.3, claude-haiku-4-5: $1 / $5 standard, $0.50 / $2.50 batch
    assert close(book.price(ANTHROPIC, "claude-haiku-4-5", usage).cost, (1000 * 1 + 100 * 5) / M)
    assert close(book.price(ANTHROPIC, "claude-haiku-4-5", usage, tier="batch").cost, (1000 * 0.5 + 100 * 2.5) / M)


def outcome(extra_model: str) -> Outcome:
    return Outcome(
        usage=Usage(1000, 10),
        response_model="claude-sonnet-4-5",
        extra_usage=[(extra_model, Usage(2000, 20))],
    )


def test_extra_usage_priced_at_its_own_model(pipeline: Pipeline) -> None:
    telemetry = Telemetry(pipeline.tracer_provider, pipeline.meter_provider)
    endpoint = Endpoint(ANTHROPIC, "api.anthropic.com", 443)
    telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5").finish(outcome("claude-opus-4-8"))
    [span] = pipeline.finished()
    # sonnet-4-5 $3 / $15, opus-4-8 $5 / $25 (genai-prices 0.2.3)
    expected = (1000 * 3 + 10 * 15) / M + (2000 * 5 + 20 * 25) / M
    assert close(span.attributes[names.USAGE_COST], expected)
    assert span.attributes[names.USAGE_INPUT_TOKENS] == 3000 and span.attributes[names.USAGE_OUTPUT_TOKENS] == 30


def test_an_unpriced_part_makes_the_call_unpriced(pipeline: Pipeline) -> None:
    telemetry = Telemetry(pipeline.tracer_provider, pipeline.meter_provider)
    endpoint = Endpoint(ANTHROPIC, "api.anthropic.com", 443)
    telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5").finish(outcome("acme-unknown-model"))
    [span] = pipeline.finished()
    assert names.USAGE_COST not in span.attributes  # never a partial sum that reads as the whole cost
    assert span.attributes[names.UNPRICED_REASON] == names.UNPRICED_UNKNOWN_MODEL


def test_start_attributes_are_per_call_though_built_once(pipeline: Pipeline) -> None:
    """The request's attributes are cached per (operation, endpoint, model, stream): a call's
    attribution, conversation or stream flag never reaches another call's span."""
    import genai_cost

    telemetry = Telemetry(pipeline.tracer_provider, pipeline.meter_provider)
    endpoint = Endpoint(ANTHROPIC, "api.anthropic.com", 443)
    done = Outcome(usage=Usage(1000, 10), response_model="claude-sonnet-4-5")
    telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5").finish(done)
    with genai_cost.attributes(tenant="acme"):
        telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5", conversation_id="conv_1").finish(done)
    telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5", stream=True).finish(done)
    telemetry.start(names.OP_CHAT, endpoint, "claude-sonnet-4-5").finish(done)
    request = {
        names.OPERATION_NAME: names.OP_CHAT,
        names.PROVIDER_NAME: "anthropic",
        names.REQUEST_MODEL: "claude-sonnet-4-5",
        names.SERVER_ADDRESS: "api.anthropic.com",
        names.SERVER_PORT: 443,
    }
    expected = [
        request,
        {**request, "tenant": "acme", names.CONVERSATION_ID: "conv_1"},
        {**request, names.REQUEST_STREAM: True},
        request,
    ]
    spans = sorted(pipeline.finished(), key=lambda span: span.start_time or 0)
    assert [span.name for span in spans] == ["chat claude-sonnet-4-5"] * 4
    ended = ("gen_ai.usage.", "gen_ai.response.", "genai_cost.")  # what the call's end adds
    started = [{k: v for k, v in span.attributes.items() if not k.startswith(ended)} for span in spans]
    assert started == expected
