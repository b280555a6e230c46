"""Environment and command line for running an app under `opentelemetry-instrument`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

# The peer instrumentations the test extra installs for the coexistence tests register these entry
# point names: apps run here load genai-cost's own instrumentors only.
PEERS_DISABLED = "openai,anthropic,google-genai,google_generativeai"
# Inherited settings that would change what an instrumented app does or where it exports.
SCRUBBED_PREFIXES = (
    "OTEL_", "GENAI_COST_", "OPENAI_", "XAI_", "AZURE_OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_", "AWS_", "MISTRAL_",
    "LITELLM_",
)  # fmt: skip
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def opentelemetry_instrument() -> str:
    """The `opentelemetry-instrument` of the interpreter running the tests; missing fails the test."""
    beside = Path(sys.executable).parent / "opentelemetry-instrument"
    if beside.exists():
        return str(beside)
    found = shutil.which("opentelemetry-instrument")
    if found is None:
        pytest.fail("opentelemetry-instrument is not installed: pip install -e '.[test]'")
    return found


def instrumented_argv(script: str | os.PathLike[str], *args: str) -> list[str]:
    """``opentelemetry-instrument <this python> script args...``"""
    return [opentelemetry_instrument(), sys.executable, str(script), *args]


def base_env(**overrides: str) -> dict[str, str]:
    """This process's environment minus OTel, genai-cost, provider and proxy settings, with peer
    instrumentations disabled, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES) and k not in _PROXIES}
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=PEERS_DISABLED,
    )
    env.update(overrides)
    return env


def otel_env(service_name: str, traces_endpoint: str, prometheus_port: int) -> dict[str, str]:
    """OTel SDK settings: spans over OTLP/HTTP protobuf, metrics on a Prometheus endpoint, no logs."""
    return {
        "OTEL_SERVICE_NAME": service_name,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces_endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_METRICS_EXPORTER": "prometheus",
        "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
        "OTEL_EXPORTER_PROMETHEUS_PORT": str(prometheus_port),
        "OTEL_LOGS_EXPORTER": "none",
    }
