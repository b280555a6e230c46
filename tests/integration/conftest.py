"""Fixtures shared by integration modules that use all three SDKs at once."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from genai_cost.anthropic import AnthropicCostInstrumentor
from genai_cost.google_genai import GoogleGenAICostInstrumentor
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor
from tests.conftest import Pipeline, set_env


@pytest.fixture
def mocks() -> Iterator[dict[str, MockProvider]]:
    """A mock provider per wire format: openai, anthropic, gemini."""
    with (
        MockProvider(flavor="openai") as oai,
        MockProvider(flavor="anthropic") as claude,
        MockProvider(flavor="gemini") as gemini,
    ):
        yield {"openai": oai, "anthropic": claude, "gemini": gemini}


@pytest.fixture
def sdks(
    pipeline: Pipeline, mocks: dict[str, MockProvider], monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimpleNamespace]:
    """The three SDKs instrumented into `pipeline`, with clients of the mocks: `openai`, `aopenai`,
    `anthropic`, `genai`. The openai mock is named as OpenAI, so chat streams ask for their usage."""
    set_env(monkeypatch, GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mocks['openai'].port}=openai")
    instrumentors = [OpenAICostInstrumentor(), AnthropicCostInstrumentor(), GoogleGenAICostInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    yield SimpleNamespace(
        openai=openai.OpenAI(api_key="test", base_url=mocks["openai"].base_url, max_retries=0),
        aopenai=openai.AsyncOpenAI(api_key="test", base_url=mocks["openai"].base_url, max_retries=0),
        anthropic=anthropic.Anthropic(api_key="test", base_url=mocks["anthropic"].root_url, max_retries=0),
        genai=genai.Client(api_key="test", http_options=types.HttpOptions(base_url=mocks["gemini"].root_url)),
    )
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
