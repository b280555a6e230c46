"""endpoints.py: the provider behind a client's base URL, the provider map, and stream-usage requests."""

from __future__ import annotations

import pytest

from genai_cost import config, endpoints


@pytest.mark.parametrize(
    ("url", "provider", "address", "port"),
    [
        ("https://api.openai.com/v1", "openai", "api.openai.com", 443),
        ("https://myres.openai.azure.com/openai", "azure.ai.openai", "myres.openai.azure.com", 443),
        ("https://api.x.ai/v1", "x_ai", "api.x.ai", 443),
        ("https://api.deepseek.com", "deepseek", "api.deepseek.com", 443),
        ("https://api.groq.com/openai/v1", "groq", "api.groq.com", 443),
        ("https://api.mistral.ai/v1", "mistral_ai", "api.mistral.ai", 443),
        ("https://openrouter.ai/api/v1", "openrouter", "openrouter.ai", 443),
        ("https://api.together.xyz/v1", "together", "api.together.xyz", 443),
        ("https://api.fireworks.ai/inference/v1", "fireworks", "api.fireworks.ai", 443),
        ("http://localhost:11434/v1", "ollama", "localhost", 11434),
        ("http://127.0.0.1:8000/v1", "vllm", "127.0.0.1", 8000),
        ("http://localhost:1234/v1", "lm_studio", "localhost", 1234),
        ("https://llm-gw.internal/v1", "openai", "llm-gw.internal", 443),
    ],
)
def test_detect(url: str, provider: str, address: str, port: int) -> None:
    endpoint = endpoints.detect(url)
    assert (endpoint.provider.name, endpoint.address, endpoint.port) == (provider, address, port)


def test_unknown_host_is_openai_priced_but_not_asked_for_stream_usage() -> None:
    endpoint = endpoints.detect("https://llm-gw.internal/v1")
    assert endpoint.provider.prices_id == "openai"
    assert not endpoints.wants_stream_usage(endpoint)
    assert endpoints.wants_stream_usage(endpoints.detect("https://api.openai.com/v1"))
    assert not endpoints.wants_stream_usage(endpoints.detect("https://api.mistral.ai/v1"))


def test_provider_map_decides_semantics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_COST_PROVIDER_MAP", "llm-gw.internal=x_ai, localhost:8081=deepseek")
    config.reset()
    assert endpoints.detect("https://llm-gw.internal/v1").provider.name == "x_ai"
    assert endpoints.detect("http://localhost:8081/v1").provider.name == "deepseek"
    assert endpoints.detect("http://localhost:8082/v1").provider.name == "openai"


def test_stream_usage_modes() -> None:
    assert config.load({"GENAI_COST_STREAM_USAGE": "OFF"}).stream_usage == "off"
    assert config.load({"GENAI_COST_STREAM_USAGE_HOSTS": "a:1, B"}).stream_usage_hosts == {"a:1", "b"}


@pytest.mark.parametrize(
    ("url", "default", "expected"),
    [
        ("https://api.anthropic.com", "anthropic", "anthropic"),
        ("https://bedrock-runtime.us-east-1.amazonaws.com", "anthropic", "aws.bedrock"),
        ("https://us-central1-aiplatform.googleapis.com/v1", "gcp.gemini", "gcp.vertex_ai"),
        ("http://127.0.0.1:40123", "anthropic", "anthropic"),  # unknown host: the SDK's own protocol
        ("http://127.0.0.1:40123", "openai", "openai"),
    ],
)
def test_unknown_hosts_take_the_sdk_default(url: str, default: str, expected: str) -> None:
    assert endpoints.detect(url, default).provider.name == expected
    assert endpoints.endpoint_for(url, default).provider.name == expected
