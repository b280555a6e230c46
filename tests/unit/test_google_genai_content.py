"""google_genai/content.py: Gemini contents as semconv content; on recorded responses
(tests/data/realdata_gemini.jsonl), on the SDK's own types and on every request shape it accepts."""

from __future__ import annotations

from google.genai import types

from genai_cost.content import Message, Part
from genai_cost.google_genai import content as gemini_content
from tests.helpers.realdata import body, shape, sse


def test_gemini_contents_in_every_shape_the_sdk_accepts() -> None:
    assert gemini_content.request_messages("hello") == [Message("user", (Part("text", "hello"),))]
    assert gemini_content.request_messages(["a", types.Part(text="b")]) == [
        Message("user", (Part("text", "a"), Part("text", "b")))
    ]
    history = [
        types.Content(role="user", parts=[types.Part(text="weather?")]),
        types.Content(role="model", parts=[
            types.Part(text="Checking.", thought=True),
            types.Part(function_call=types.FunctionCall(name="get_weather", args={"city": "Paris"})),
        ]),
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"r": "sunny"}}}]},
        types.Part(inline_data=types.Blob(mime_type="image/png", data=b"\x89PNG")),
        types.Part(file_data=types.FileData(file_uri="gs://bucket/a.pdf", mime_type="application/pdf")),
    ]  # fmt: skip
    assert gemini_content.request_messages(history) == [
        Message("user", (Part("text", "weather?"),)),
        Message("assistant", (Part("reasoning", "Checking."), Part("tool_call"))),
        Message("user", (Part("tool_call_response"),)),
        Message("user", (Part("blob"), Part("uri"))),
    ]
    assert "Paris" not in repr(gemini_content.request_messages(history))


def test_gemini_system_instruction_shapes() -> None:
    as_config = types.GenerateContentConfig(system_instruction="Be brief.")
    assert gemini_content.system_instructions(as_config) == [Part("text", "Be brief.")]
    as_dict = {"system_instruction": types.Content(parts=[types.Part(text="One."), types.Part(text="Two.")])}
    assert gemini_content.system_instructions(as_dict) == [Part("text", "One."), Part("text", "Two.")]
    assert gemini_content.system_instructions({"systemInstruction": ["x", {"text": "y"}]}) == [
        Part("text", "x"), Part("text", "y"),
    ]  # fmt: skip
    assert gemini_content.system_instructions(None) == []


def test_gemini_recorded_responses() -> None:
    thoughts = body("gemini-3-pro-preview-thinking")
    assert shape(gemini_content.response_content(thoughts)) == [
        ("assistant", [("reasoning", 2238), ("text", 3017)], "stop")
    ]
    model = types.GenerateContentResponse.model_validate(thoughts)  # the SDK's model reads the same
    assert gemini_content.response_content(model) == gemini_content.response_content(thoughts)
    code = body("gemini-2.5-flash-tool-use-prompt")
    assert [p.type for p in gemini_content.response_content(code)[0].parts] == [
        "text", "tool_call", "tool_call_response", "text",
    ]  # fmt: skip


def test_gemini_recorded_stream_joins_text_pieces() -> None:
    stream = gemini_content.StreamContent()
    chunks = sse("gemini-stream-2.5-flash-tool-use")
    for chunk in chunks:
        stream.add(chunk)
    [out] = stream.messages()
    assert [p.type for p in out.parts] == ["text", "tool_call", "tool_call_response", "text"]
    first_texts = []
    for chunk in chunks:
        part = chunk["candidates"][0]["content"]["parts"][0]
        if "text" not in part:
            break
        first_texts.append(part["text"])
    assert out.parts[0].content == "".join(first_texts) and len(first_texts) > 1
    assert out.finish_reason == "stop"


def test_gemini_finish_reasons() -> None:
    assert [gemini_content.finish_reason(r) for r in ("STOP", types.FinishReason.MAX_TOKENS, "SAFETY", "OTHER")] == [
        "stop", "length", "content_filter", "other",
    ]  # fmt: skip
