"""boto3's bedrock-runtime client over real HTTP to the mock provider, under the real instrumentation.

The real botocore signs, sends and decodes every call (the streams' AWS event-stream frames and
their CRCs included); the mock answers as Bedrock does (see genai_cost.mockprovider.bedrock_api
for its token formula). Expected costs are computed by hand from per-million-token prices copied
from genai-prices 0.2.3, provider `aws`:
regional.anthropic.claude-3-5-haiku-20241022-v1:0 $0.80 in / $0.08 cache read / $1.00 cache write / $4 out;
regional.anthropic.claude-sonnet-4-5-20250929-v1:0 (us. profile) $3.30 / $16.50,
global.anthropic.claude-sonnet-4-5-20250929-v1:0 $3 / $15;
amazon.nova-lite-v1:0 $0.06 in / $0.015 cache read / $0.24 out (no cache-write price: writes at the input rate);
meta.llama3-1-8b-instruct-v1:0 $0.22 / $0.22; mistral.mistral-large-2402-v1:0 $4 / $12;
amazon.titan-embed-text-v2:0 $0.02 in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from opentelemetry.trace import StatusCode

from genai_cost import names
from genai_cost.bedrock import BedrockCostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline
from tests.helpers.calls import close, cost, counter, only_span, tokens_by_type

HAIKU_35 = {"in": 0.8, "read": 0.08, "write": 1.0, "out": 4.0}
SONNET_45_US = {"in": 3.3, "out": 16.5}
SONNET_45_GLOBAL = {"in": 3.0, "out": 15.0}
NOVA_LITE = {"in": 0.06, "read": 0.015, "out": 0.24}
LLAMA_31_8B = {"in": 0.22, "out": 0.22}
MISTRAL_LARGE = {"in": 4.0, "out": 12.0}
TITAN_EMBED_V2 = {"in": 0.02}

HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"
HAIKU_PROFILE = "us." + HAIKU
HAIKU_ENTRY = "aws/regional.anthropic.claude-3-5-haiku-20241022-v1:0"
# 29 characters x 40 = 1160: the cached prefix is ceil(1160/4) = 290 tokens.
SYSTEM_TEXT = "You are a careful assistant. " * 40
CACHED = 290
QUESTION = "What is 10 + 5?"  # with the prefix: ceil(1175/4) + 4 = 298 prompt tokens, 8 of them uncached
UNCACHED = 8
CONVERSE_MESSAGES = [{"role": "user", "content": [{"text": QUESTION}]}]
CONVERSE_SYSTEM = [{"text": SYSTEM_TEXT}, {"cachePoint": {"type": "default"}}]
ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 5,
    "system": [{"type": "text", "text": SYSTEM_TEXT, "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": QUESTION}],
}


@pytest.fixture
def mock() -> Iterator[MockProvider]:
    with MockProvider(flavor="bedrock") as provider:
        yield provider


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = BedrockCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


def bedrock_client(mock: MockProvider) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=mock.root_url,
        aws_access_key_id="test-key-id",
        aws_secret_access_key="test-secret",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def client(mock: MockProvider, instrumented: Pipeline) -> Any:
    return bedrock_client(mock)


def converse(client: Any, model: str = HAIKU_PROFILE, stream: bool = False, **kwargs: Any) -> Any:
    method = client.converse_stream if stream else client.converse
    return method(modelId=model, messages=CONVERSE_MESSAGES, system=CONVERSE_SYSTEM, **kwargs)


def invoke(client: Any, model: str, body: dict[str, Any], stream: bool = False) -> Any:
    method = client.invoke_model_with_response_stream if stream else client.invoke_model
    return method(modelId=model, body=json.dumps(body))


def drain(response: Any, key: str) -> list[dict[str, Any]]:
    return list(response[key])


def attributes(pipeline: Pipeline, index: int = 0) -> dict[str, Any]:
    return dict(pipeline.finished()[index].attributes)


def assert_usage(attrs: dict[str, Any], input_tokens: int, output: int, read: int = 0, write: int = 0) -> None:
    assert attrs[names.USAGE_INPUT_TOKENS] == input_tokens
    assert attrs[names.USAGE_OUTPUT_TOKENS] == output
    assert attrs[names.USAGE_CACHE_READ_INPUT_TOKENS] == read
    assert attrs[names.USAGE_CACHE_WRITE_INPUT_TOKENS] == write


# --- Converse -----------------------------------------------------------------------------------


def test_converse_cache_write_then_read(client: Any, instrumented: Pipeline) -> None:
    first = converse(client)
    second = converse(client)
    assert first["usage"]["cacheWriteInputTokens"] == CACHED and second["usage"]["cacheReadInputTokens"] == CACHED

    spans = instrumented.finished()
    assert len(spans) == 2
    write, read = (dict(span.attributes) for span in spans)
    assert spans[0].name == f"chat {HAIKU_PROFILE}"
    assert write[names.PROVIDER_NAME] == "aws.bedrock"
    assert write[names.OPERATION_NAME] == "chat"
    assert write[names.RESPONSE_MODEL] == HAIKU_PROFILE
    assert write[names.PRICE_ENTRY] == HAIKU_ENTRY
    assert_usage(write, UNCACHED + CACHED, 12, write=CACHED)
    assert_usage(read, UNCACHED + CACHED, 12, read=CACHED)
    write_cost = cost(HAIKU_35, **{"in": UNCACHED, "write": CACHED, "out": 12})
    read_cost = cost(HAIKU_35, **{"in": UNCACHED, "read": CACHED, "out": 12})
    assert close(write[names.USAGE_COST], write_cost)
    assert close(read[names.USAGE_COST], read_cost)
    assert write[names.RESPONSE_FINISH_REASONS] == ("end_turn",)

    assert close(
        counter(instrumented, names.METRIC_COST, **{names.PROVIDER_NAME: "aws.bedrock"}), write_cost + read_cost
    )
    assert tokens_by_type(instrumented) == {
        "input": 2 * (UNCACHED + CACHED),
        "output": 24,
        "cache_read": CACHED,
        "cache_write": CACHED,
        "reasoning": 0,
    }


def test_converse_stream(client: Any, instrumented: Pipeline) -> None:
    response = converse(client, stream=True, inferenceConfig={"maxTokens": 5})
    events = drain(response, "stream")
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert events[-1]["metadata"]["usage"]["cacheWriteInputTokens"] == CACHED  # the app sees every event

    span = only_span(instrumented)
    attrs = dict(span.attributes)
    assert attrs[names.REQUEST_STREAM] is True
    assert_usage(attrs, UNCACHED + CACHED, 5, write=CACHED)
    expected = cost(HAIKU_35, **{"in": UNCACHED, "write": CACHED, "out": 5})
    assert close(attrs[names.USAGE_COST], expected)
    assert close(counter(instrumented, names.METRIC_COST), expected)


def test_converse_stream_left_early_ends_once_without_usage(client: Any, instrumented: Pipeline) -> None:
    response = converse(client, stream=True)
    stream = response["stream"]
    next(iter(stream))
    stream.close()

    attrs = dict(only_span(instrumented).attributes)
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: names.UNPRICED_NO_USAGE}) == 1


def _refusals(stream: Any) -> list[str]:
    """The errors of next() on `stream` and of a `with` block around it."""
    found = []
    with pytest.raises(TypeError) as raised:
        next(stream)
    found.append(str(raised.value))
    with pytest.raises(TypeError) as raised:
        with stream:
            pass
    found.append(str(raised.value))
    return found


def test_event_stream_refuses_next_and_with_as_botocore_does(mock: MockProvider, pipeline: Pipeline) -> None:
    """botocore's stream is only iterable: an app that calls next() on it or opens it in a `with` block
    fails the same way with genai-cost as without, and the stream it then reads is still priced."""

    def stream(client: Any) -> Any:  # no cache point: both calls report the same usage
        return client.converse_stream(modelId=HAIKU, messages=CONVERSE_MESSAGES, inferenceConfig={"maxTokens": 5})

    bare = stream(bedrock_client(mock))["stream"]
    instrumentor = BedrockCostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        proxied = stream(bedrock_client(mock))["stream"]
        refused = ["'EventStream' object is not an iterator",
                   "'EventStream' object does not support the context manager protocol"]  # fmt: skip
        assert _refusals(proxied) == _refusals(bare) == refused
        assert pipeline.finished() == []  # refused, not ended: the app can still read it
        assert list(proxied) == list(bare)
    finally:
        instrumentor.uninstrument()
    attrs = dict(only_span(pipeline).attributes)
    assert_usage(attrs, UNCACHED, 5)
    assert close(attrs[names.USAGE_COST], cost(HAIKU_35, **{"in": UNCACHED, "out": 5}))


def test_converse_stream_throttled_midway_fails_the_span(client: Any, instrumented: Pipeline) -> None:
    response = converse(client, stream=True, additionalModelRequestFields={"mock": {"error_after": 2}})
    with pytest.raises(botocore.exceptions.EventStreamError):
        drain(response, "stream")

    span = only_span(instrumented)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == "botocore.exceptions.EventStreamError"


def test_http_error_reaches_the_app_and_fails_the_span(client: Any, instrumented: Pipeline) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        converse(client, model="mock-error-429")
    assert raised.value.response["Error"]["Code"] == "ThrottlingException"

    span = only_span(instrumented)
    assert span.attributes[names.ERROR_TYPE] == "botocore.errorfactory.ThrottlingException"
    assert names.USAGE_INPUT_TOKENS not in span.attributes


# --- model ids: profiles, ARNs, unknown ---------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        HAIKU,
        HAIKU_PROFILE,
        f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{HAIKU_PROFILE}",
    ],
)
def test_profile_and_arn_priced_as_the_base_model(client: Any, instrumented: Pipeline, model: str) -> None:
    client.converse(modelId=model, messages=CONVERSE_MESSAGES)

    attrs = dict(only_span(instrumented).attributes)
    assert attrs[names.REQUEST_MODEL] == model
    assert attrs[names.RESPONSE_MODEL] == model.rsplit("/", 1)[-1]
    assert attrs[names.PRICE_ENTRY] == HAIKU_ENTRY
    assert close(attrs[names.USAGE_COST], cost(HAIKU_35, **{"in": UNCACHED, "out": 12}))


def test_global_profile_has_its_own_price(client: Any, instrumented: Pipeline) -> None:
    sonnet = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    client.converse(modelId="us." + sonnet, messages=CONVERSE_MESSAGES)
    client.converse(modelId="global." + sonnet, messages=CONVERSE_MESSAGES)

    regional, worldwide = attributes(instrumented, 0), attributes(instrumented, 1)
    assert close(regional[names.USAGE_COST], cost(SONNET_45_US, **{"in": UNCACHED, "out": 12}))
    assert close(worldwide[names.USAGE_COST], cost(SONNET_45_GLOBAL, **{"in": UNCACHED, "out": 12}))


def test_unknown_model_is_unpriced_never_zero(client: Any, instrumented: Pipeline) -> None:
    client.converse(modelId="acme.unknown-model-v1:0", messages=CONVERSE_MESSAGES)

    attrs = dict(only_span(instrumented).attributes)
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_UNKNOWN_MODEL
    assert names.USAGE_COST not in attrs
    assert attrs[names.USAGE_INPUT_TOKENS] == UNCACHED
    assert counter(instrumented, names.METRIC_UNPRICED, **{names.UNPRICED_REASON: names.UNPRICED_UNKNOWN_MODEL}) == 1
    assert counter(instrumented, names.METRIC_COST) == 0


# --- InvokeModel, by model family ---------------------------------------------------------------


def test_invoke_anthropic_body_cache_write_then_read(client: Any, instrumented: Pipeline) -> None:
    first = json.loads(invoke(client, HAIKU, ANTHROPIC_BODY)["body"].read())
    second = json.loads(invoke(client, HAIKU, ANTHROPIC_BODY)["body"].read())
    assert first["usage"]["cache_creation_input_tokens"] == CACHED
    assert second["usage"]["cache_read_input_tokens"] == CACHED

    write, read = attributes(instrumented, 0), attributes(instrumented, 1)
    assert_usage(write, UNCACHED + CACHED, 5, write=CACHED)
    assert_usage(read, UNCACHED + CACHED, 5, read=CACHED)
    assert close(write[names.USAGE_COST], cost(HAIKU_35, **{"in": UNCACHED, "write": CACHED, "out": 5}))
    assert close(read[names.USAGE_COST], cost(HAIKU_35, **{"in": UNCACHED, "read": CACHED, "out": 5}))
    assert write[names.RESPONSE_MODEL] == HAIKU  # the id billed, not the body's own model name
    assert write[names.RESPONSE_FINISH_REASONS] == ("end_turn",)


def test_invoke_anthropic_stream(client: Any, instrumented: Pipeline) -> None:
    events = drain(invoke(client, HAIKU_PROFILE, ANTHROPIC_BODY, stream=True), "body")
    last = json.loads(events[-1]["chunk"]["bytes"])
    assert last["type"] == "message_stop" and "amazon-bedrock-invocationMetrics" in last

    attrs = dict(only_span(instrumented).attributes)
    assert_usage(attrs, UNCACHED + CACHED, 5, write=CACHED)
    expected = cost(HAIKU_35, **{"in": UNCACHED, "write": CACHED, "out": 5})
    assert close(attrs[names.USAGE_COST], expected)
    assert close(counter(instrumented, names.METRIC_COST), expected)


@pytest.mark.parametrize("stream", [False, True])
def test_invoke_nova_cache_read(client: Any, instrumented: Pipeline, stream: bool) -> None:
    body = {"system": CONVERSE_SYSTEM, "messages": CONVERSE_MESSAGES, "inferenceConfig": {"maxTokens": 5}}
    for _ in range(2):
        response = invoke(client, "us.amazon.nova-lite-v1:0", body, stream)
        drain(response, "body") if stream else response["body"].read()

    write, read = attributes(instrumented, 0), attributes(instrumented, 1)
    assert write[names.PRICE_ENTRY] == "aws/amazon.nova-lite-v1:0"
    assert_usage(write, UNCACHED + CACHED, 5, write=CACHED)
    assert_usage(read, UNCACHED + CACHED, 5, read=CACHED)
    assert close(write[names.USAGE_COST], cost(NOVA_LITE, **{"in": UNCACHED + CACHED, "out": 5}))
    assert close(read[names.USAGE_COST], cost(NOVA_LITE, **{"in": UNCACHED, "read": CACHED, "out": 5}))


@pytest.mark.parametrize("stream", [False, True])
def test_invoke_llama(client: Any, instrumented: Pipeline, stream: bool) -> None:
    body = {"prompt": "Tell me a joke about owls.", "max_gen_len": 7}  # 26 characters: 7 prompt tokens
    response = invoke(client, "us.meta.llama3-1-8b-instruct-v1:0", body, stream)
    drain(response, "body") if stream else response["body"].read()

    attrs = dict(only_span(instrumented).attributes)
    assert_usage(attrs, 7, 7)
    assert close(attrs[names.USAGE_COST], cost(LLAMA_31_8B, **{"in": 7, "out": 7}))


@pytest.mark.parametrize("stream", [False, True])
def test_invoke_mistral_read_from_headers_and_metrics(client: Any, instrumented: Pipeline, stream: bool) -> None:
    body = {"prompt": "<s>[INST] Tell me a joke about owls. [/INST]", "max_tokens": 9}  # 44 chars: 11 tokens
    response = invoke(client, "mistral.mistral-large-2402-v1:0", body, stream)
    if stream:
        drain(response, "body")
    else:
        assert "usage" not in json.loads(response["body"].read())  # Mistral's body has none: the headers do

    attrs = dict(only_span(instrumented).attributes)
    assert_usage(attrs, 11, 9)
    assert close(attrs[names.USAGE_COST], cost(MISTRAL_LARGE, **{"in": 11, "out": 9}))
    assert attrs[names.RESPONSE_FINISH_REASONS] == ("stop",)


def test_invoke_titan_embeddings(client: Any, instrumented: Pipeline) -> None:
    response = invoke(client, "amazon.titan-embed-text-v2:0", {"inputText": "owls at night"})  # 13 chars: 4
    assert json.loads(response["body"].read())["inputTextTokenCount"] == 4

    span = only_span(instrumented)
    assert span.name == "embeddings amazon.titan-embed-text-v2:0"
    assert_usage(dict(span.attributes), 4, 0)
    assert close(span.attributes[names.USAGE_COST], cost(TITAN_EMBED_V2, **{"in": 4}))


def test_invoke_body_closed_unread_is_priced_from_headers(client: Any, instrumented: Pipeline) -> None:
    response = invoke(client, HAIKU, ANTHROPIC_BODY)
    assert instrumented.finished() == []  # the call ends when the app is done with the body
    response["body"].close()

    attrs = dict(only_span(instrumented).attributes)
    assert_usage(attrs, UNCACHED + CACHED, 5, write=CACHED)
    assert close(attrs[names.USAGE_COST], cost(HAIKU_35, **{"in": UNCACHED, "write": CACHED, "out": 5}))


# --- what is not a model call passes through ----------------------------------------------------


def test_other_operations_and_services_make_no_span(mock: MockProvider, client: Any, instrumented: Pipeline) -> None:
    with pytest.raises(botocore.exceptions.ClientError):
        client.get_async_invoke(invocationArn="arn:aws:bedrock:us-east-1:123456789012:async-invoke/x")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=mock.root_url, aws_access_key_id="k",
                      aws_secret_access_key="s", config=Config(retries={"max_attempts": 1}))  # fmt: skip
    with pytest.raises(botocore.exceptions.ClientError):
        s3.list_buckets()
    assert instrumented.finished() == []


def test_uninstrumented_client_is_untouched(mock: MockProvider, pipeline: Pipeline) -> None:
    response = converse(bedrock_client(mock))
    assert response["usage"]["cacheWriteInputTokens"] == CACHED
    assert pipeline.finished() == []
