"""Which server a call went to, as the span says it: the client's base URL read on every call.

genai-cost reads an openai client's `_base_url` directly where the client's `base_url` property
just returns it, and asks the property otherwise (the module-level client, which honours
`openai.base_url`). Both cases go over real HTTP to two local mock providers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from genai_cost import names
from genai_cost.mockprovider import MockProvider
from tests.conftest import Pipeline, set_env

USER = [{"role": "user", "content": "What is 10 + 5?"}]


@pytest.fixture
def two_mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    with MockProvider() as first, MockProvider() as second:
        mapping = ",".join(f"127.0.0.1:{mock.port}=openai" for mock in (first, second))
        set_env(monkeypatch, GENAI_COST_PROVIDER_MAP=mapping)
        yield first, second


def _ports(pipeline: Pipeline) -> list[int]:
    spans = sorted(pipeline.finished(), key=lambda span: span.start_time or 0)
    assert all(span.attributes[names.PROVIDER_NAME] == "openai" for span in spans)
    assert all(span.attributes[names.USAGE_COST] > 0 for span in spans)
    return [span.attributes[names.SERVER_PORT] for span in spans]


def test_a_client_whose_base_url_changes_reports_the_new_server(
    two_mocks: tuple[Any, Any], instrumented: Pipeline
) -> None:
    first, second = two_mocks
    client = openai.OpenAI(base_url=first.base_url, api_key="test-key", max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    client.base_url = second.base_url
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert _ports(instrumented) == [first.port, second.port]


def test_the_module_level_client_reports_the_server_openai_base_url_names(
    two_mocks: tuple[Any, Any], instrumented: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_mocks
    monkeypatch.setattr(openai, "api_key", "test-key")
    monkeypatch.setattr(openai, "max_retries", 0)
    for mock in (second, first):
        monkeypatch.setattr(openai, "base_url", mock.base_url + "/")  # the module client adds no slash
        openai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert _ports(instrumented) == [second.port, first.port]
