"""`genai-cost report` on a live run: `genai-cost demo --serve` makes real SDK calls (openai, anthropic,
google-genai) against the mock providers under the real instrumentation, a real Prometheus scrapes
its endpoint, and the report's figures per provider and model equal the counters the app exports.

The workload is over before Prometheus first scrapes the app: every series is born at its final
value, so the figures are right only if a series that starts inside the period counts from zero."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from genai_cost.cli import main
from tests.helpers import free_port
from tests.helpers.process import AppProcess
from tests.helpers.prom import Scrape, scrape
from tests.helpers.stack import PrometheusServer

REL = 1e-6
BY = ("gen_ai_provider_name", "gen_ai_request_model")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Scrape]]:
    port = free_port()
    demo = AppProcess([sys.executable, "-m", "genai_cost", "demo", "--serve", "--port", str(port)]).start()
    try:
        demo.wait_for_line(lambda line: line.startswith("metrics endpoint: "), timeout=120)
        exported = scrape(f"http://127.0.0.1:{port}/metrics")
        workdir = tmp_path_factory.mktemp("live")
        with PrometheusServer(workdir, scrape_targets={"genai-demo": [f"127.0.0.1:{port}"]}) as prom:
            prom.wait_for_target_up("genai-demo", timeout=60)
            time.sleep(3)  # a few scrapes at the final values
            import contextlib
            import io

            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                assert main(["report", "--prometheus", prom.url, "--last", "1h", "--format", "json"]) == 0
            yield json.loads(buffer.getvalue()), exported
    finally:
        demo.kill()


def _sum(exported: Scrape, name: str, extra: str | None = None) -> dict[tuple[str, ...], float]:
    out: dict[tuple[str, ...], float] = defaultdict(float)
    for sample in exported.select(name):
        key = tuple(sample.labels.get(label, "") for label in (*BY, *((extra,) if extra else ())))
        out[key] += sample.value
    return out


def test_every_group_equals_the_exported_counters(live: tuple[dict[str, Any], Scrape]) -> None:
    doc, exported = live
    groups = {tuple(g["labels"][label] for label in BY): g for g in doc["groups"]}
    cost = _sum(exported, "gen_ai_client_cost_usd_total")
    savings = _sum(exported, "gen_ai_client_cost_savings_usd_total")
    unpriced = _sum(exported, "gen_ai_client_unpriced_total")
    tokens = _sum(exported, "gen_ai_client_tokens_total", "gen_ai_token_type")
    calls = _sum(exported, "gen_ai_client_operation_duration_seconds_count", "error_type")
    keys = {k[:2] for k in tokens} | set(unpriced) | {k[:2] for k in calls}
    assert set(groups) == keys
    assert len(groups) >= 10 and sum(cost.values()) > 0
    for key, group in groups.items():
        assert group["cost_usd"] == pytest.approx(cost.get(key, 0.0), rel=REL, abs=1e-12), key
        assert group["cache_savings_usd"] == pytest.approx(savings.get(key, 0.0), rel=REL, abs=1e-12), key
        assert group["unpriced_calls"] == unpriced.get(key, 0.0), key
        for kind in ("input", "cache_read", "cache_write", "output", "reasoning"):
            assert group[f"{kind}_tokens"] == tokens.get((*key, kind), 0.0), (key, kind)
        assert group["calls"] == sum(v for k, v in calls.items() if k[:2] == key), key
        assert group["errors"] == sum(v for k, v in calls.items() if k[:2] == key and k[2]), key
    assert doc["total"]["cost_usd"] == pytest.approx(sum(cost.values()), rel=REL)
    assert doc["total"]["errors"] >= 3  # the demo makes one failing call per SDK
