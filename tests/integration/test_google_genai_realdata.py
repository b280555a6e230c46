"""Every recorded Gemini API and Vertex AI response, replayed through the real google-genai SDK.

The local MockProvider serves each record of tests/data/realdata_gemini.jsonl (recorded status and
body; `extra_body={"mock": {"replay": id}}`) to the SDK method that made it, under the real
instrumentation. The mock serves the body the way the SDK asks for it: the JSON-array Vertex stream
as server-sent events, integer-encoded Vertex enums by name (google-genai never asks for integers;
its models reject them). Gemini API records go to a Developer API client, Vertex AI records to a
Vertex client (static credentials, no Google auth).

Expected tokens and costs are written by hand from each record's usageMetadata and per-million-token
prices copied as literals from genai-prices 0.2.3, provider "google" (each case checked once against
genai_prices.calc_price while writing this file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from genai_cost import names
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_gemini.jsonl"
RECORDS = {r["id"]: r for r in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line)}

M = 1_000_000
# USD per million tokens, genai-prices 0.2.3, provider "google"
FLASH_25_IN, FLASH_25_CACHED, FLASH_25_OUT = 0.30, 0.03, 2.50  # gemini-2.5-flash
FLASH_25_AUDIO_IN, FLASH_25_AUDIO_CACHED = 1.00, 0.10  # gemini-2.5-flash audio input, audio cache read
PRO_25_IN, PRO_25_OUT = 1.25, 10.0  # gemini-2.5-pro, up to 200k input tokens
PRO_3_IN, PRO_3_OUT = 2.0, 12.0  # gemini-3-pro-preview, up to 200k input tokens
FLASH_20_IN, FLASH_20_OUT = 0.10, 0.40  # gemini-2.0-flash (gemini-2.0-flash-001 matches it)
FLASH_35_IN, FLASH_35_OUT = 1.50, 9.00  # gemini-3.5-flash
FLASH_3_IN, FLASH_3_OUT = 0.50, 3.00  # gemini-3-flash-preview


@dataclass(frozen=True)
class Expect:
    input: int
    output: int
    reasoning: int
    cost: float
    entry: str
    cache_read: int = 0
    savings: float = 0.0
    tier: str | None = None


GENERATE: dict[str, Expect] = {
    "gemini-2.5-flash-thinking": Expect(
        5, 877 + 1058, 1058, (5 * FLASH_25_IN + 1935 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    "gemini-2.5-flash-explicit-cache": Expect(
        3520, 2 + 42, 42,
        ((3520 - 3512) * FLASH_25_IN + 3512 * FLASH_25_CACHED + 44 * FLASH_25_OUT) / M, "google/gemini-2.5-flash",
        cache_read=3512, savings=3512 * (FLASH_25_IN - FLASH_25_CACHED) / M,
    ),
    # 17713 prompt tokens: 334 uncached (36 of them audio), 17379 cached (1881 of them audio: 1917
    # audio tokens in the prompt, 1881 in cacheTokensDetails). Audio has its own input and
    # cache-read prices; the savings compare each cached token with its own uncached price.
    "gemini-2.5-flash-video-implicit-cache": Expect(
        17713, 68 + 821, 821,
        ((334 - 36) * FLASH_25_IN + 36 * FLASH_25_AUDIO_IN + (17379 - 1881) * FLASH_25_CACHED
         + 1881 * FLASH_25_AUDIO_CACHED + 889 * FLASH_25_OUT) / M,
        "google/gemini-2.5-flash", cache_read=17379,
        savings=((17379 - 1881) * (FLASH_25_IN - FLASH_25_CACHED) + 1881 * (FLASH_25_AUDIO_IN - FLASH_25_AUDIO_CACHED))
        / M,
    ),
    "gemini-2.5-flash-implicit-cache": Expect(
        859, 28, 0, ((859 - 594) * FLASH_25_IN + 594 * FLASH_25_CACHED + 28 * FLASH_25_OUT) / M,
        "google/gemini-2.5-flash", cache_read=594, savings=594 * (FLASH_25_IN - FLASH_25_CACHED) / M,
    ),
    "gemini-3-pro-preview-thinking": Expect(
        29, 736 + 1001, 1001, (29 * PRO_3_IN + 1737 * PRO_3_OUT) / M, "google/gemini-3-pro-preview"
    ),
    # toolUsePromptTokenCount (file search results) is input: 46 + 1436.
    "gemini-2.5-pro-file-search-tool-use": Expect(
        46 + 1436, 293 + 980, 980, (1482 * PRO_25_IN + 1273 * PRO_25_OUT) / M, "google/gemini-2.5-pro"
    ),
    "gemini-2.5-flash-tool-use-prompt": Expect(
        32 + 720, 341 + 103, 103, (752 * FLASH_25_IN + 444 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    "gemini-2.0-flash-basic": Expect(42, 9, 0, (42 * FLASH_20_IN + 9 * FLASH_20_OUT) / M, "google/gemini-2.0-flash"),
    "gemini-2.5-flash-image-input": Expect(
        277, 125 + 678, 678, (277 * FLASH_25_IN + 803 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    # Streams repeat the running usage in every chunk: the last one counts, once.
    "gemini-stream-3.5-flash-thinking": Expect(
        11, 703 + 713, 713, (11 * FLASH_35_IN + 1416 * FLASH_35_OUT) / M, "google/gemini-3.5-flash"
    ),
    "gemini-stream-2.5-flash-tool-use": Expect(
        32 + 764, 477 + 240, 240, (796 * FLASH_25_IN + 717 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    "gemini-stream-2.5-flash-web-fetch": Expect(
        32 + 4610, 25 + 37, 37, (4642 * FLASH_25_IN + 62 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    "vertex-2.5-flash-int-enums": Expect(
        11, 17 + 190, 190, (11 * FLASH_25_IN + 207 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    "vertex-stream-json-array": Expect(
        11, 16 + 232, 232, (11 * FLASH_25_IN + 248 * FLASH_25_OUT) / M, "google/gemini-2.5-flash"
    ),
    # trafficType ON_DEMAND_FLEX: the flex tier (genai-prices has no separate Gemini flex price yet).
    "vertex-gemini-3-flash-flex": Expect(
        5, 1 + 51, 51, (5 * FLASH_3_IN + 52 * FLASH_3_OUT) / M, "google/gemini-3-flash-preview", tier="flex"
    ),
    "vertex-stream-gemini-3-flash-flex": Expect(
        5, 1 + 100, 100, (5 * FLASH_3_IN + 101 * FLASH_3_OUT) / M, "google/gemini-3-flash-preview", tier="flex"
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def mocks() -> Iterator[dict[str, MockProvider]]:
    with (
        MockProvider(flavor="gemini", records_path=DATA) as gemini,
        MockProvider(flavor="vertex", records_path=DATA) as vertex,
    ):
        yield {"gcp.gemini": gemini, "gcp.vertex_ai": vertex}


@pytest.fixture
def instrumented(pipeline: Pipeline) -> Iterator[Pipeline]:
    instrumentor = GoogleGenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield pipeline
    instrumentor.uninstrument()


def client_for(record: dict[str, Any], mocks: dict[str, MockProvider]) -> genai.Client:
    options = types.HttpOptions(base_url=mocks[record["provider"]].root_url)
    if record["provider"] == "gcp.vertex_ai":
        return genai.Client(
            vertexai=True, project="test-project", location="global", credentials=Credentials(token="t"),
            http_options=options,
        )  # fmt: skip
    return genai.Client(api_key="test-key", http_options=options)


def replay(record_id: str) -> types.HttpOptions:
    return types.HttpOptions(extra_body={"mock": {"replay": record_id}})


def recorded_usage(record: dict[str, Any]) -> dict[str, Any]:
    usage = record["usage"]
    return usage[-1]["usage"] if isinstance(usage, list) else usage


@pytest.mark.parametrize("record_id", sorted(GENERATE))
def test_generate_records(record_id: str, mocks: dict[str, MockProvider], instrumented: Pipeline) -> None:
    record, expected = RECORDS[record_id], GENERATE[record_id]
    client = client_for(record, mocks)
    model = record["request"]["model"]
    config = types.GenerateContentConfig(http_options=replay(record_id))
    if record["request"]["stream"]:
        chunks = list(client.models.generate_content_stream(model=model, contents="replay", config=config))
        seen = [c.usage_metadata for c in chunks if c.usage_metadata is not None][-1]
    else:
        seen = client.models.generate_content(model=model, contents="replay", config=config).usage_metadata
    assert seen.prompt_token_count == recorded_usage(record)["promptTokenCount"]  # the SDK read it as recorded

    [span] = instrumented.finished()
    a = span.attributes
    assert a[names.PROVIDER_NAME] == record["provider"]
    assert a[names.REQUEST_MODEL] == model
    assert a[names.REQUEST_STREAM] if record["request"]["stream"] else names.REQUEST_STREAM not in a
    assert (
        a[names.USAGE_INPUT_TOKENS], a[names.USAGE_OUTPUT_TOKENS], a[names.USAGE_CACHE_READ_INPUT_TOKENS],
        a[names.USAGE_REASONING_OUTPUT_TOKENS],
    ) == (expected.input, expected.output, expected.cache_read, expected.reasoning)  # fmt: skip
    assert math.isclose(a[names.USAGE_COST], expected.cost, rel_tol=1e-9)
    assert math.isclose(a[names.CACHE_SAVINGS], expected.savings, rel_tol=1e-9, abs_tol=1e-18)
    assert a[names.PRICE_ENTRY] == expected.entry
    assert a.get(names.PRICE_TIER) == expected.tier
    assert a[names.RESPONSE_FINISH_REASONS] == ("stop",)
    cost = sum(v for _, v in instrumented.metrics()[names.METRIC_COST])
    assert math.isclose(cost, expected.cost, rel_tol=1e-9)


def test_error_record(mocks: dict[str, MockProvider], instrumented: Pipeline) -> None:
    record = RECORDS["vertex-error-400"]
    client = client_for(record, mocks)
    config = types.GenerateContentConfig(http_options=replay(record["id"]))
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_content(model=record["request"]["model"], contents="replay", config=config)
    assert raised.value.code == 400 and raised.value.status == "INVALID_ARGUMENT"
    [span] = instrumented.finished()
    assert span.attributes[names.ERROR_TYPE] == "400"
    assert names.USAGE_COST not in span.attributes


def test_batch_embed_record_without_usage_is_unpriced(mocks: dict[str, MockProvider], instrumented: Pipeline) -> None:
    record = RECORDS["gemini-batch-embed-contents"]
    client = client_for(record, mocks)  # kept: a collected Client closes its connections
    response = client.models.embed_content(
        model=record["request"]["model"], contents="replay",
        config=types.EmbedContentConfig(http_options=replay(record["id"])),
    )  # fmt: skip
    assert len(response.embeddings[0].values) == len(json.loads(record["body"])["embeddings"][0]["values"])
    [span] = instrumented.finished()
    assert span.name == "embeddings gemini-embedding-001"
    assert span.attributes[names.UNPRICED_REASON] == "no_usage"  # the API reported no usage: never $0
    assert names.USAGE_COST not in span.attributes


def test_uninstrumented_endpoints_replay_without_spans(mocks: dict[str, MockProvider], instrumented: Pipeline) -> None:
    """countTokens, cachedContents.create and the Interactions API parse as recorded; no GenAI span."""
    count = RECORDS["gemini-count-tokens"]
    client = client_for(count, mocks)
    config = types.CountTokensConfig(http_options=replay(count["id"]))
    counted = client.models.count_tokens(model=count["request"]["model"], contents="replay", config=config)
    assert counted.total_tokens == 12

    cache = RECORDS["gemini-cached-contents-create"]
    created = client.caches.create(
        model=cache["request"]["model"],
        config=types.CreateCachedContentConfig(contents="replay", http_options=replay(cache["id"])),
    )
    assert created.usage_metadata.total_token_count == 3512

    interaction = client.interactions.create(
        model="gemini-2.5-flash", input="replay", extra_body={"mock": {"replay": "gemini-interactions-2.5-flash"}}
    )
    assert interaction.usage.total_tokens == 233
    stream_id = "gemini-interactions-stream-2.5-flash-thinking"
    events = list(
        client.interactions.create(
            model="gemini-2.5-flash", input="replay", stream=True, extra_body={"mock": {"replay": stream_id}}
        )
    )
    assert len(events) == RECORDS[stream_id]["body"].count("event: ") - 1  # all but the closing `done`
    assert instrumented.finished() == []
