"""anthropic/content.py: Anthropic messages, blocks and stream events as semconv content; on recorded
responses (tests/data/realdata_anthropic.jsonl), on the SDK's own types and on request shapes it accepts."""

from __future__ import annotations

import anthropic

from genai_cost.anthropic import content as anthropic_content
from genai_cost.content import Message, Part
from tests.helpers.realdata import body, shape, sse


def test_anthropic_request_with_system_blocks_tools_and_images() -> None:
    request = {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "What is 10 + 5?"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Add them.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 10, "b": 5}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "15"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
            ]},
        ],
    }  # fmt: skip
    messages, system = anthropic_content.request_content(request)
    assert system == [Part("text", "Be brief.")]
    assert messages == [
        Message("user", (Part("text", "What is 10 + 5?"),)),
        Message("assistant", (Part("reasoning", "Add them."), Part("reasoning"), Part("tool_call"))),
        Message("user", (Part("tool_call_response"), Part("blob"), Part("uri"), Part("file"))),
    ]
    # Arguments, results and image data are never kept.
    assert "opaque" not in repr(messages) and "iVBOR" not in repr(messages) and "15" not in repr(messages[2])
    assert anthropic_content.request_content({"system": "Rhyme.", "messages": []}) == ([], [Part("text", "Rhyme.")])


def test_anthropic_recorded_thinking_message_as_dict_and_sdk_model() -> None:
    recorded = body("anthropic-claude-3.7-sonnet-thinking")
    expected = [("assistant", [("reasoning", 429), ("text", 56)], "stop")]
    assert shape(anthropic_content.response_content(recorded)) == expected
    message = anthropic.types.Message.model_validate(recorded)
    [out] = anthropic_content.response_content(message)
    assert out.parts[1] == Part("text", "The letter 'r' appears 3 times in the word \"strawberry\".")
    assert out.parts[0].content.startswith("Let me count the number of times the letter 'r' appears")


def test_anthropic_recorded_web_search_blocks() -> None:
    [out] = anthropic_content.response_content(body("anthropic-sonnet-4-web-search"))
    kinds = [p.type for p in out.parts]
    assert kinds[:4] == ["reasoning", "tool_call", "tool_call_response", "text"]  # server tool use and its result
    assert set(kinds[4:]) == {"text"} and out.finish_reason == "stop"


def test_anthropic_recorded_streams() -> None:
    stream = anthropic_content.StreamContent()
    for event in sse("anthropic-stream-claude-3.7-sonnet-thinking"):
        stream.add(event)
    [out] = stream.messages()
    assert [p.type for p in out.parts] == ["reasoning", "text"] and out.finish_reason == "stop"
    assert out.parts[0].content.startswith("Let me count the occurrences of the letter")
    assert out.parts[1].content.startswith("The letter 'r' appears 3 times in the wo")

    search = anthropic_content.StreamContent()
    for event in sse("anthropic-stream-sonnet-4.5-web-search-404k-input"):
        search.add(event)
    [out] = search.messages()
    kinds = [p.type for p in out.parts]
    assert kinds.count("tool_call") == 11 and kinds.count("tool_call_response") == 10  # the last search was cut
    assert out.finish_reason == "pause_turn"  # kept as is: no semconv equivalent
    assert all(p.content is None for p in out.parts if p.type.startswith("tool_call"))


def test_anthropic_finish_reasons() -> None:
    assert [anthropic_content.finish_reason(r) for r in ("end_turn", "max_tokens", "tool_use", "refusal", None)] == [
        "stop", "length", "tool_call", "content_filter", None,
    ]  # fmt: skip


# --- google-genai -------------------------------------------------------------------------------------
