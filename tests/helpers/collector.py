"""A real OpenTelemetry Collector process for end-to-end tests.

The binary is the one collector/build.sh builds from collector/manifest.yaml (ocb, Go modules),
cached by the manifest's hash; `.ci/run` builds it before the tests, so here it is a cache hit.
A shipped config runs unchanged: its listeners and the traces backend come from environment
variables, which this helper points at free loopback ports.

    with Collector(tmp_path, REPO / "collector/otelcol.yaml", traces_endpoint=receiver.endpoint) as col:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = col.otlp_http_url
        ...
        col.metrics_url  # the prometheus exporter's /metrics
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from tests.helpers import free_port
from tests.helpers.stack import ServerProcess

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "collector" / "build.sh"
# A cold build (empty Go module cache) downloads ~1 GB of modules and compiles for minutes.
BUILD_TIMEOUT = 3600


@functools.cache
def collector_binary() -> str:
    """Path of the collector built from collector/manifest.yaml (built now unless cached)."""
    try:
        done = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{BUILD_SCRIPT} did not finish within {BUILD_TIMEOUT}s")
    if done.returncode != 0:
        pytest.fail(f"{BUILD_SCRIPT} failed ({done.returncode}):\n{done.stderr[-6000:]}")
    path = done.stdout.strip().splitlines()[-1]
    assert os.access(path, os.X_OK), f"{BUILD_SCRIPT} printed {path!r}, not an executable"
    return path


def collector_env(**values: str) -> dict[str, str]:
    """A minimal environment for a collector process: PATH and HOME plus ``values``."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "TMPDIR") if key in os.environ}
    env.update(values)
    return env


def validate(config: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``otelcol validate --config=<config>``: resolves, unmarshals and builds the pipelines, binds nothing."""
    return subprocess.run(
        [collector_binary(), "validate", f"--config={config}"],
        env=collector_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Collector(ServerProcess):
    """The built collector running ``config`` with every listener on a free loopback port."""

    ready_path = "/"  # health_check: 503 while starting, 200 once every component has started

    def __init__(
        self,
        workdir: Path,
        config: Path,
        traces_endpoint: str,
        extra_env: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        super().__init__(workdir)
        self.config = config
        self.extra_args = list(extra_args)  # e.g. a second --config overlay, --feature-gates
        self.otlp_grpc_port = free_port()
        self.otlp_http_port = free_port()
        self.prometheus_port = free_port()
        self.health_port = self.port  # readiness is read off the health check
        self.telemetry_port = free_port()
        self.env = {
            "OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.otlp_grpc_port}",
            "OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.otlp_http_port}",
            "PROMETHEUS_EXPORTER_ENDPOINT": f"127.0.0.1:{self.prometheus_port}",
            "HEALTH_CHECK_ENDPOINT": f"127.0.0.1:{self.health_port}",
            "COLLECTOR_TELEMETRY_HOST": "127.0.0.1",
            "COLLECTOR_TELEMETRY_PORT": str(self.telemetry_port),
            "TRACES_OTLP_ENDPOINT": traces_endpoint,
            "NO_PROXY": "127.0.0.1,localhost",
            **(extra_env or {}),
        }

    @property
    def otlp_http_url(self) -> str:
        """Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the SDK appends /v1/<signal>)."""
        return f"http://127.0.0.1:{self.otlp_http_port}"

    @property
    def prometheus_target(self) -> str:
        return f"127.0.0.1:{self.prometheus_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.prometheus_target}/metrics"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.health_port}/"

    def argv(self) -> list[str]:
        return [collector_binary(), f"--config={self.config}", *self.extra_args]

    def environment(self) -> Mapping[str, str]:
        return collector_env(**self.env)
