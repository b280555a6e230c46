"""Helpers shared by integration and end-to-end tests: nothing here imports genai_cost.

- :mod:`tests.helpers.otlp`: an in-process OTLP/HTTP (protobuf) receiver that decodes spans.
- :mod:`tests.helpers.prom`: scrape and parse Prometheus text exposition.
- :mod:`tests.helpers.process`: run an app in a subprocess, wait for its output lines, always stop it.
- :mod:`tests.helpers.instrumented`: environment and argv for `opentelemetry-instrument` subprocesses.
- :mod:`tests.helpers.stack`: real Prometheus and Alertmanager processes, and a webhook receiver.
- :mod:`tests.helpers.fleet`: a deterministic synthetic fleet's scrapes (OpenMetrics) and their true increases.

Import them as ``tests.helpers...`` (``tests`` is a package; pytest puts the repository root on
``sys.path``).
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago, for a server another process will bind.

    Prefer binding port 0 in-process; use this only when the port must be named up front
    (e.g. in an environment variable of a subprocess).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
