"""Fixtures for end-to-end tests: apps run under `opentelemetry-instrument` in a subprocess,
talking to local mock providers, exporting to in-test receivers. Everything binds loopback
with ports chosen by binding 0, and everything is stopped at teardown however a test ends.

The fixtures are module-scoped: an app run takes seconds, so an e2e module runs its app once
(in a module-scoped fixture of its own) and checks the outcome in several small tests. A module
that needs fresh mock state between runs calls ``mock.reset()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from genai_cost.mockprovider import MockProvider
from tests.helpers import free_port
from tests.helpers.instrumented import base_env, instrumented_argv, otel_env
from tests.helpers.otlp import OtlpReceiver
from tests.helpers.process import AppProcess

APPS = Path(__file__).resolve().parent / "apps"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP protobuf receiver on loopback (``.traces_url``, ``.spans``)."""
    receiver = OtlpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def _mock(flavor: str) -> Iterator[MockProvider]:
    mock = MockProvider(host="127.0.0.1", port=0, flavor=flavor).start()
    try:
        yield mock
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def mock_openai() -> Iterator[MockProvider]:
    """A mock provider speaking OpenAI (flavor openai)."""
    yield from _mock("openai")


@pytest.fixture(scope="module")
def mock_xai() -> Iterator[MockProvider]:
    """A mock provider with xAI's usage quirks (flavor x_ai)."""
    yield from _mock("x_ai")


@pytest.fixture(scope="module")
def mock_anthropic() -> Iterator[MockProvider]:
    """A mock provider speaking the Anthropic Messages API (flavor anthropic)."""
    yield from _mock("anthropic")


@pytest.fixture(scope="module")
def mock_gemini() -> Iterator[MockProvider]:
    """A mock provider speaking the Gemini Developer API (flavor gemini)."""
    yield from _mock("gemini")


@pytest.fixture(scope="module")
def mock_bedrock() -> Iterator[MockProvider]:
    """A mock provider speaking Bedrock Runtime to boto3 (flavor bedrock)."""
    yield from _mock("bedrock")


@pytest.fixture(scope="module")
def mock_mistral() -> Iterator[MockProvider]:
    """A mock provider speaking Mistral's API (flavor mistral)."""
    yield from _mock("mistral")


@pytest.fixture(scope="module")
def sdk_env(
    mock_openai: MockProvider,
    mock_xai: MockProvider,
    mock_anthropic: MockProvider,
    mock_gemini: MockProvider,
    mock_bedrock: MockProvider,
    mock_mistral: MockProvider,
) -> dict[str, str]:
    """What tests/e2e/apps/genai_app.py reads: each SDK's own key and base-URL variables, pointing at
    the mocks, and the provider map that names the OpenAI-compatible mocks' providers."""
    return {
        "GENAI_COST_PROVIDER_MAP": f"127.0.0.1:{mock_openai.port}=openai,127.0.0.1:{mock_xai.port}=x_ai",
        "OPENAI_API_KEY": "test",
        "OPENAI_BASE_URL": mock_openai.base_url,
        "XAI_API_KEY": "test",
        "XAI_BASE_URL": mock_xai.base_url,
        "ANTHROPIC_API_KEY": "test",
        "ANTHROPIC_BASE_URL": mock_anthropic.root_url,
        "GEMINI_API_KEY": "test",
        "GOOGLE_GEMINI_BASE_URL": mock_gemini.root_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": mock_bedrock.root_url,
        "AWS_MAX_ATTEMPTS": "1",
        "MISTRAL_API_KEY": "test",
        "MISTRAL_SERVER_URL": mock_mistral.root_url,
        # LiteLLM fetches its model cost map from GitHub at import unless told to use its own copy.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }


@pytest.fixture(scope="module")
def prometheus_port() -> int:
    """A free loopback port for the app's Prometheus exporter (the app binds it)."""
    return free_port()


@pytest.fixture(scope="module")
def run_instrumented() -> Iterator[Callable[[str | Path, Mapping[str, str]], AppProcess]]:
    """``run(script, env)`` starts ``opentelemetry-instrument python <script>`` and returns the
    started :class:`AppProcess`; every app started is killed at teardown.

    ``script`` is a path or a file name under tests/e2e/apps; ``env`` is the whole environment
    (build it with :func:`tests.helpers.instrumented.base_env` and ``otel_env``).
    """
    started: list[AppProcess] = []

    def run(script: str | Path, env: Mapping[str, str]) -> AppProcess:
        path = Path(script)
        if not path.is_absolute():
            path = APPS / path
        app = AppProcess(instrumented_argv(path), env=env, cwd=REPO)
        started.append(app)
        return app.start()

    try:
        yield run
    finally:
        for app in started:
            app.kill()


@pytest.fixture(scope="module")
def budget_app(
    otlp_receiver: OtlpReceiver,
    mock_openai: MockProvider,
    prometheus_port: int,
    run_instrumented: Callable[[str | Path, Mapping[str, str]], AppProcess],
) -> Callable[..., AppProcess]:
    """``start(job, **env)`` runs apps/budget_app.py (the openai SDK against the OpenAI mock, $8.67)
    under `opentelemetry-instrument` as service ``job``, its metrics on ``prometheus_port``, with
    ``env`` added (e.g. ``GENAI_COST_METRIC_LABELS``), and returns it once its calls are made."""

    def start(job: str, **env: str) -> AppProcess:
        app = run_instrumented(
            "budget_app.py",
            base_env(
                **otel_env(job, otlp_receiver.traces_url, prometheus_port),
                GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock_openai.port}=openai",
                OPENAI_API_KEY="test",
                OPENAI_BASE_URL=mock_openai.base_url,
                **env,
            ),
        )
        app.wait_for_line(lambda line: line == "READY", timeout=30)
        return app

    return start
