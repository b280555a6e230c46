"""Real Prometheus and Alertmanager processes for end-to-end tests, and a webhook that records
what Alertmanager delivers.

Each server listens on a free loopback port with its own data folder, is started by the test and
stopped by its PID (process group) however the test ends:

    with PrometheusServer(tmp_path, scrape_targets={"app": ["127.0.0.1:9464"]}, rule_files=[...]) as prom:
        prom.wait_for_target_up("app", timeout=30)
        result = prom.query('sum(gen_ai_client_cost_usd_total)')

Binaries come from Debian's packages (`prometheus`, `promtool`, `prometheus-alertmanager`, `amtool`);
`.ci/run` installs them. A missing binary fails the test rather than skipping it.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest

from tests.helpers import free_port
from tests.helpers.process import AppProcess


def binary(name: str) -> str:
    """Path of a stack binary; a missing one fails the test (CI installs them)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: apt-get install prometheus prometheus-alertmanager")
    return found


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback test URLs only
        return response.read()


def _wait_ready(url: str, process: AppProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc is not None and process.proc.poll() is not None:
            raise AssertionError(f"{url}: the server exited\n{process.diagnostics()}")
        try:
            _get(url, timeout=1.0)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise AssertionError(f"{url} not ready within {timeout}s\n{process.diagnostics()}")


class ServerProcess(ABC):
    """A server process on a free loopback port; subclasses give its argv and readiness path."""

    ready_path = "/-/ready"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: AppProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @abstractmethod
    def argv(self) -> list[str]:
        """The server's command line."""

    def environment(self) -> Mapping[str, str] | None:
        """The server's environment; None: this process's."""
        return None

    def start(self, timeout: float = 30.0) -> Self:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = AppProcess(self.argv(), env=self.environment(), cwd=self.workdir).start()
        _wait_ready(self.url + self.ready_path, self.process, timeout)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()

    def diagnostics(self) -> str:
        return self.process.diagnostics() if self.process is not None else "(not started)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class PrometheusServer(ServerProcess):
    """Prometheus scraping ``scrape_targets`` (job -> ["host:port", ...]) every second, evaluating
    ``rule_files`` every second and sending alerts to ``alertmanager_url`` if given.

    ``honor_labels`` keeps the job/instance labels of the scraped data (as a Collector's prometheus
    exporter sets them from service.name/service.instance.id) instead of the scrape target's;
    ``extra_args`` are appended to the command line (e.g. ``--web.enable-remote-write-receiver``)."""

    def __init__(
        self,
        workdir: Path,
        scrape_targets: Mapping[str, Sequence[str]],
        rule_files: Sequence[Path] = (),
        alertmanager_url: str | None = None,
        interval: str = "1s",
        external_labels: Mapping[str, str] | None = None,
        honor_labels: bool = False,
        extra_args: Sequence[str] = (),
    ) -> None:
        super().__init__(workdir)
        self.extra_args = list(extra_args)
        self.config_path = workdir / "prometheus.yml"
        config: dict[str, Any] = {
            "global": {
                "scrape_interval": interval,
                "evaluation_interval": interval,
                "external_labels": dict(external_labels or {}),
            },
            "rule_files": [str(Path(path).resolve()) for path in rule_files],
            "scrape_configs": [
                {"job_name": job, "honor_labels": honor_labels, "static_configs": [{"targets": list(targets)}]}
                for job, targets in scrape_targets.items()
            ],
        }
        if alertmanager_url is not None:
            target = urllib.parse.urlsplit(alertmanager_url).netloc
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [target]}]}]}
        workdir.mkdir(parents=True, exist_ok=True)
        # JSON is valid YAML: no YAML writer needed.
        self.config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")

    def argv(self) -> list[str]:
        return [
            binary("prometheus"),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
            *self.extra_args,
        ]

    def api(self, path: str, **params: str) -> Any:
        url = f"{self.url}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            payload = json.loads(_get(url))
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{url}: {error.code} {error.read().decode(errors='replace')}") from None
        if payload.get("status") != "success":
            raise AssertionError(f"{url}: {payload}")
        return payload["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query: the result list (``[{"metric": {...}, "value": [t, "v"]}, ...]``)."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("query", **params)["result"]

    def query_range(self, promql: str, start: float, end: float, step: str = "1s") -> list[dict[str, Any]]:
        return self.api("query_range", query=promql, start=f"{start:.3f}", end=f"{end:.3f}", step=step)["result"]

    def wait_for(self, promql: str, timeout: float, min_results: int = 1) -> list[dict[str, Any]]:
        """Poll an instant query until it returns at least ``min_results`` series."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(promql)
            if len(result) >= min_results:
                return result
            time.sleep(0.25)
        raise AssertionError(f"{promql!r} returned {result} after {timeout}s\n{self.diagnostics()}")

    def wait_for_target_up(self, job: str, timeout: float = 30.0) -> None:
        # Prometheus 2.x throttles target discovery to once per 5 s: the first scrape takes ~5.5 s.
        self.wait_for(f'up{{job="{job}"}} == 1', timeout)


class AlertmanagerServer(ServerProcess):
    """Alertmanager with the given config text (YAML), gossip disabled."""

    def __init__(self, workdir: Path, config_text: str) -> None:
        super().__init__(workdir)
        self.config_path = workdir / "alertmanager.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(config_text, encoding="utf-8")

    def argv(self) -> list[str]:
        return [
            binary("prometheus-alertmanager"),
            f"--config.file={self.config_path}",
            f"--storage.path={self.workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            # Without this Alertmanager opens its gossip port on 0.0.0.0:9094.
            "--cluster.listen-address=",
            "--log.level=warn",
        ]


class WebhookReceiver:
    """An HTTP server on a free loopback port keeping every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.payloads.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
                pass

        return Handler

    def wait_for(self, predicate: Any, timeout: float) -> dict[str, Any]:
        """The first payload for which ``predicate(payload)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for payload in self.payloads:
                    if predicate(payload):
                        return payload
            time.sleep(0.1)
        raise AssertionError(f"no matching webhook payload within {timeout}s; got {self.payloads}")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
