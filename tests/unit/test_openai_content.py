"""openai/content.py: pure reading of openai request, response and stream shapes as semconv content."""

from __future__ import annotations

from genai_cost.content import Message, Part
from genai_cost.openai import content


def test_chat_request_content() -> None:
    messages, system = content.request_content(
        {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "image_url", "image_url": {}}]},
            ],
            "extra_headers": {"Authorization": "Bearer never-read"},
        }
    )
    assert system == []
    assert messages == [
        Message("system", (Part("text", "Be brief."),)),
        Message("user", (Part("text", "Hi"), Part("image_url"))),
    ]
    assert content.request_content({"prompt": "Once upon"}) == ([Message.text("user", "Once upon")], [])


def test_responses_request_content() -> None:
    messages, system = content.responses_request_content({"input": "Write a line.", "instructions": "Rhyme."})
    assert messages == [Message.text("user", "Write a line.")]
    assert system == [Part("text", "Rhyme.")]
    items = [{"role": "user", "content": [{"type": "input_text", "text": "Hello"}]}]
    assert content.responses_request_content({"input": items}) == ([Message("user", (Part("text", "Hello"),))], [])


def test_chat_response_content_and_stream_text() -> None:
    completion = {
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "15"}},
            {"index": 1, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                                                                   "tool_calls": [{"id": "c1"}]}},
        ]
    }  # fmt: skip
    assert content.response_content(completion) == [
        Message("assistant", (Part("text", "15"),), "stop"),
        Message("assistant", (Part("tool_call"),), "tool_calls"),
    ]
    stream = content.StreamContent()
    for chunk in (
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "1"}}]},
        {"choices": [{"index": 0, "delta": {"content": "5"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 3}},
    ):
        stream.add(chunk)
    assert stream.messages() == [Message.text("assistant", "15", "stop")]


def test_responses_response_content() -> None:
    response = {
        "status": "completed",
        "output": [
            {"type": "reasoning", "summary": []},
            {"type": "function_call", "name": "lookup"},
            {"type": "message", "content": [{"type": "output_text", "text": "Done."}]},
        ],
    }
    assert content.responses_response_content(response) == [
        Message("assistant", (Part("tool_call"), Part("text", "Done.")), "completed")
    ]
