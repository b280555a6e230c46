"""content.py: semconv message JSON and the shared truncation budget."""

from __future__ import annotations

import json

from genai_cost.content import Message, Part, messages_json, parts_json


def test_messages_json_is_the_semconv_shape() -> None:
    text, truncated = messages_json(
        [
            Message.text("user", "What is 10 + 5?"),
            Message("assistant", (Part("text", "15"), Part("tool_call")), "stop"),
        ],
        100,
    )
    assert not truncated
    assert json.loads(text) == [
        {"role": "user", "parts": [{"type": "text", "content": "What is 10 + 5?"}]},
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "15"}, {"type": "tool_call"}],
            "finish_reason": "stop",
        },
    ]


def test_budget_is_shared_by_all_text_of_an_attribute() -> None:
    text, truncated = messages_json([Message.text("system", "abcdef"), Message.text("user", "ghijkl")], 8)
    assert truncated
    assert [m["parts"][0]["content"] for m in json.loads(text)] == ["abcdef", "gh"]
    text, truncated = parts_json([Part("text", "x" * 10)], 10)
    assert not truncated and json.loads(text) == [{"type": "text", "content": "x" * 10}]
