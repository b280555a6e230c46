"""Instrument, uninstrument, instrument twice, and a missing SDK."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import openai
import pytest
from openai.resources.chat.completions.completions import AsyncCompletions, Completions
from openai.resources.embeddings import Embeddings
from openai.resources.responses.responses import Responses

from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor
from tests.conftest import Pipeline, env_map, set_env

PATCHED = [
    (Completions, "create"),
    (Completions, "parse"),
    (AsyncCompletions, "create"),
    (Responses, "create"),
    (Responses, "retrieve"),
    (Embeddings, "create"),
]


def test_uninstrument_restores_the_sdk(pipeline: Pipeline) -> None:
    originals = {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
    instrumentor = OpenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        assert all(cls.__dict__[name] is not originals[(cls, name)] for cls, name in PATCHED)
    finally:
        instrumentor.uninstrument()
    assert all(cls.__dict__[name] is originals[(cls, name)] for cls, name in PATCHED)


def test_instrumenting_twice_records_once(
    pipeline: Pipeline, mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    instrumentor = OpenAICostInstrumentor()
    kwargs = {"tracer_provider": pipeline.tracer_provider, "meter_provider": pipeline.meter_provider}
    instrumentor.instrument(**kwargs)
    instrumentor.instrument(**kwargs)
    try:
        client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    finally:
        instrumentor.uninstrument()
    assert len(pipeline.finished()) == 1
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert len(pipeline.finished()) == 1  # uninstrumented: nothing more


def test_missing_sdk_is_not_an_error() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["openai"] = None  # as if openai were not installed
        from genai_cost.openai import OpenAICostInstrumentor
        OpenAICostInstrumentor().instrument(skip_dep_check=True)
        OpenAICostInstrumentor().uninstrument()
        print("alive")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "alive"
    assert "Traceback" not in result.stderr


def test_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    [entry] = [ep for ep in entry_points(group="opentelemetry_instrumentor") if ep.name == "genai_cost_openai"]
    assert entry.load() is OpenAICostInstrumentor
