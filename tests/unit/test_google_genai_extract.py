"""Pure extraction for google-genai, on the recorded Gemini API and Vertex AI responses.

Each record's body is read twice: as the REST JSON (camelCase dict) and as the SDK's own
`GenerateContentResponse` built the way the SDK builds it. Expected tokens follow docs/design.md:
input = promptTokenCount (cache included) + toolUsePromptTokenCount; output = candidatesTokenCount
+ thoughtsTokenCount; reasoning = thoughts; cache read = cachedContentTokenCount; input audio = the
uncached AUDIO prompt tokens. The numbers are copied by hand from each record's usageMetadata.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from genai_cost.google_genai import extract
from genai_cost.mockprovider.gemini_replay import enums_by_name
from genai_cost.usage import Usage

DATA = Path(__file__).resolve().parents[1] / "data" / "realdata_gemini.jsonl"
RECORDS = {r["id"]: r for r in (json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line)}


def sse_items(body: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: ") :]) for line in body.splitlines() if line.startswith("data: ")]


def final_item(record: dict[str, Any]) -> dict[str, Any]:
    """The response (or, for a stream, its last chunk with usage: Gemini repeats running totals)."""
    body = record["body"]
    items = sse_items(body) if body.startswith("data: ") else json.loads(body)
    if isinstance(items, dict):
        return items
    return [item for item in items if item.get("usageMetadata")][-1]


def sdk_response(item: dict[str, Any]) -> types.GenerateContentResponse:
    # As the SDK does it: unknown fields (serviceTier) dropped, REST names validated by alias.
    return types.GenerateContentResponse._from_response(response=enums_by_name(item), kwargs={})


# record id -> (input, output, cache_read, reasoning, input_audio, response model, finish, tier); the
# video record also has 1881 cached audio tokens (checked in its own test).
GENERATE: dict[str, tuple[int, int, int, int, int, str, list[str], str | None]] = {
    "gemini-2.5-flash-thinking": (5, 877 + 1058, 0, 1058, 0, "gemini-2.5-flash", ["stop"], None),
    "gemini-2.5-flash-explicit-cache": (3520, 2 + 42, 3512, 42, 0, "gemini-2.5-flash", ["stop"], None),
    # 1917 AUDIO prompt tokens, 1881 of them cached: 36 uncached audio tokens.
    "gemini-2.5-flash-video-implicit-cache": (17713, 68 + 821, 17379, 821, 36, "gemini-2.5-flash", ["stop"], None),
    "gemini-2.5-flash-implicit-cache": (859, 28, 594, 0, 0, "gemini-2.5-flash", ["stop"], None),
    "gemini-3-pro-preview-thinking": (29, 736 + 1001, 0, 1001, 0, "gemini-3-pro-preview", ["stop"], None),
    "gemini-2.5-pro-file-search-tool-use": (46 + 1436, 293 + 980, 0, 980, 0, "gemini-2.5-pro", ["stop"], None),
    "gemini-2.5-flash-tool-use-prompt": (32 + 720, 341 + 103, 0, 103, 0, "gemini-2.5-flash", ["stop"], None),
    "gemini-2.0-flash-basic": (42, 9, 0, 0, 0, "gemini-2.0-flash-001", ["stop"], None),
    "gemini-2.5-flash-image-input": (277, 125 + 678, 0, 678, 0, "gemini-2.5-flash", ["stop"], None),
    "gemini-stream-3.5-flash-thinking": (11, 703 + 713, 0, 713, 0, "gemini-3.5-flash", ["stop"], None),
    "gemini-stream-2.5-flash-tool-use": (32 + 764, 477 + 240, 0, 240, 0, "gemini-2.5-flash", ["stop"], None),
    "gemini-stream-2.5-flash-web-fetch": (32 + 4610, 25 + 37, 0, 37, 0, "gemini-2.5-flash", ["stop"], None),
    "vertex-2.5-flash-int-enums": (11, 17 + 190, 0, 190, 0, "gemini-2.5-flash", ["stop"], None),
    "vertex-stream-json-array": (11, 16 + 232, 0, 232, 0, "gemini-2.5-flash", ["stop"], None),
    "vertex-gemini-3-flash-flex": (5, 1 + 51, 0, 51, 0, "gemini-3-flash-preview", ["stop"], "flex"),
    "vertex-stream-gemini-3-flash-flex": (5, 1 + 100, 0, 100, 0, "gemini-3-flash-preview", ["stop"], "flex"),
}


CACHED_AUDIO = {"gemini-2.5-flash-video-implicit-cache": 1881}  # cacheTokensDetails, modality AUDIO


def test_every_generate_record_is_covered() -> None:
    generate = {
        rid
        for rid, r in RECORDS.items()
        if r["api"] in ("generateContent", "streamGenerateContent") and r["status"] == 200
    }
    assert generate == set(GENERATE)


@pytest.mark.parametrize("record_id", sorted(GENERATE))
@pytest.mark.parametrize("shape", ["rest_json", "sdk_model"])
def test_recorded_generate_responses(record_id: str, shape: str) -> None:
    inp, out, cached, reasoning, audio, model, finish, tier = GENERATE[record_id]
    item = final_item(RECORDS[record_id])
    response = item if shape == "rest_json" else sdk_response(item)
    outcome = extract.generate_outcome(response)
    assert outcome.usage == Usage(
        input_tokens=inp, output_tokens=out, cache_read_tokens=cached, reasoning_tokens=reasoning,
        input_audio_tokens=audio, cache_audio_read_tokens=CACHED_AUDIO.get(record_id, 0),
    )  # fmt: skip
    assert outcome.usage.is_consistent()
    assert outcome.response_model == model
    # Integer-encoded enums (Vertex `enum-encoding=int`) are not names: no finish reason from the raw
    # JSON; the SDK never sees them (it asks for names).
    int_encoded = shape == "rest_json" and isinstance(item["candidates"][0].get("finishReason"), int)
    assert outcome.finish_reasons == ([] if int_encoded else finish)
    assert outcome.service_tier == tier
    assert outcome.response_id == item.get("responseId")


def test_requested_service_tier_is_the_fallback() -> None:
    item = final_item(RECORDS["gemini-2.5-flash-thinking"])
    assert extract.generate_outcome(item, types.ServiceTier.FLEX).service_tier == "flex"
    assert extract.generate_outcome(item, "priority").service_tier == "priority"
    # Vertex says what it served; that wins over the request.
    flex = final_item(RECORDS["vertex-gemini-3-flash-flex"])
    assert extract.generate_outcome(flex, "priority").service_tier == "flex"


def test_no_usage_metadata_is_none_not_zero() -> None:
    assert extract.generate_outcome({"candidates": [], "modelVersion": "gemini-2.5-flash"}).usage is None
    assert extract.generate_outcome(types.GenerateContentResponse()).usage is None


def test_recorded_batch_embed_has_no_usage() -> None:
    body = json.loads(RECORDS["gemini-batch-embed-contents"]["body"])
    assert len(body["embeddings"]) == 1
    assert extract.embed_outcome(body).usage is None


def test_embed_usage_metadata_and_vertex_statistics() -> None:
    assert extract.embed_usage({"usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12}}) == Usage(12)
    sdk = types.EmbedContentResponse(
        embeddings=[
            types.ContentEmbedding(values=[0.1], statistics=types.ContentEmbeddingStatistics(token_count=7)),
            types.ContentEmbedding(values=[0.2], statistics=types.ContentEmbeddingStatistics(token_count=5)),
        ]
    )
    assert extract.embed_usage(sdk) == Usage(12)


def test_a_malformed_count_makes_the_usage_invalid_and_nothing_raises() -> None:
    metadata = {"promptTokenCount": "x", "candidatesTokenCount": None, "thoughtsTokenCount": 3}
    usage = extract.usage_from_metadata(metadata)
    assert (usage.output_tokens, usage.reasoning_tokens) == (3, 3)  # None counts 0; thoughts are output
    # A count that is not a number is never read as 0 (a silently cheaper call): the usage is invalid.
    assert usage.input_tokens < 0 and not usage.is_consistent()


def test_add_usages() -> None:
    total = extract.add_usages([Usage(10, 5, cache_read_tokens=4, reasoning_tokens=2), Usage(20, 7)])
    assert total == Usage(30, 12, cache_read_tokens=4, reasoning_tokens=2)
