"""A stream proxy read every way an app reads the SDK's stream: `for`, `next()`, both, or only an iterator.

The proxy's `for` loop is a generator of its own (no method call per chunk); these pin that it sees
the same chunks as `next()`, keeps the stream open while only the iterator is held, and ends once.
"""

from __future__ import annotations

import gc

import openai

from genai_cost import names
from tests.conftest import Pipeline
from tests.integration.test_openai import GPT_4O_MINI, USER, client, close, expected_cost, only_span

__all__ = ["client"]  # the fixture, shared with test_openai


def _create(client: openai.OpenAI) -> openai.Stream:
    return client.chat.completions.create(model="gpt-4o-mini", messages=USER, stream=True)


def _texts(chunks: list[object]) -> list[str | None]:
    return [chunk.choices[0].delta.content for chunk in chunks]  # type: ignore[attr-defined]


def test_for_loop_and_next_see_the_same_chunks(client: openai.OpenAI, instrumented: Pipeline) -> None:
    looped = list(_create(client))
    stream = _create(client)
    stepped = [next(stream)]
    stepped += list(stream)  # the rest, by the loop: nothing skipped or repeated at the switch
    assert _texts(stepped) == _texts(looped) and len(looped) > 2
    spans = instrumented.finished()
    assert len(spans) == 2
    for span in spans:
        assert (span.attributes[names.USAGE_INPUT_TOKENS], span.attributes[names.USAGE_OUTPUT_TOKENS]) == (8, 12)
        assert close(span.attributes[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))


def test_an_iterator_held_without_its_stream_keeps_the_call_open(client: openai.OpenAI, instrumented: Pipeline) -> None:
    chunks = iter(_create(client))  # the app keeps only the iterator
    first = next(chunks)
    gc.collect()
    assert instrumented.finished() == []  # the proxy lives as long as its loop
    rest = list(chunks)
    assert first.choices and all(chunk.choices for chunk in rest)
    attrs = only_span(instrumented).attributes
    assert close(attrs[names.USAGE_COST], expected_cost(GPT_4O_MINI, 8, 0, 12))
    assert list(chunks) == []  # exhausted: nothing more, still one span
    assert len(instrumented.finished()) == 1


def test_a_loop_abandoned_with_its_stream_ends_once_unpriced(client: openai.OpenAI, instrumented: Pipeline) -> None:
    chunks = iter(_create(client))
    next(chunks)
    del chunks
    gc.collect()
    attrs = only_span(instrumented).attributes
    assert attrs[names.UNPRICED_REASON] == names.UNPRICED_NO_USAGE
    assert names.USAGE_COST not in attrs
