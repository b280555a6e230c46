"""The synthetic fleet (tests/helpers/fleet.py): deterministic, the series genai-cost exports, and a
truth that equals what its own samples say."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

from tests.helpers import fleet

SPEC = fleet.preset("small", days=1.25, restart_every_days=0.25)


def _samples(path: Path) -> dict[tuple[str, fleet.Labels], list[tuple[float, float]]]:
    """Every series' (timestamp, value) list, read from the file; each series' lines must be together."""
    series: dict[tuple[str, fleet.Labels], list[tuple[float, float]]] = defaultdict(list)
    last = None
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        name, labels, value, stamp = re.fullmatch(r"(\w+)\{(.*)\} (\S+) (\d+)", line).groups()
        key = (name, tuple(sorted(re.findall(r'(\w+)="([^"]*)"', labels))))
        assert key == last or key not in series, f"{key} is not in one piece"
        series[key].append((float(stamp), float(value)))
        last = key
    return series


def test_same_spec_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.om", tmp_path / "b.om"
    count = fleet.Fleet(SPEC).write_openmetrics(a)
    assert fleet.Fleet(SPEC).write_openmetrics(b) == count > 100_000
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    chunks = list(fleet.Fleet(SPEC).write_chunks(tmp_path / "chunks", 18 * 3600))
    assert len(chunks) == 2  # 30 hours from 00:00 UTC (a multiple of 18 hours since the epoch)
    lines = sorted(line for p in chunks for line in p.read_text().splitlines() if not line.startswith("#"))
    assert lines == sorted(line for line in a.read_text().splitlines() if not line.startswith("#"))


def test_series_names_labels_restarts_and_churn(tmp_path: Path) -> None:
    fl = fleet.Fleet(SPEC)
    fl.write_openmetrics(tmp_path / "f.om")
    series = _samples(tmp_path / "f.om")
    names = {name for name, _ in series}
    assert {
        "gen_ai_client_cost_usd_total", "gen_ai_client_cost_savings_usd_total", "gen_ai_client_tokens_total",
        "gen_ai_client_unpriced_total", "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_count", "gen_ai_client_token_usage_sum", "target_info",
    } <= names  # fmt: skip
    cost = {labels for name, labels in series if name == "gen_ai_client_cost_usd_total"}
    assert {k for labels in cost for k, _ in labels} == {
        "job", "instance", "gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model",
        "gen_ai_response_model", "team", "tenant_id", "otel_scope_name", "otel_scope_version",
    }  # fmt: skip
    assert any(dict(labels).get("error_type") for name, labels in series if name.endswith("_count"))
    assert sum(len(i.restarts) for i in fl.instances) >= 5
    totals = [v for (n, _), v in series.items() if n.endswith("_total")]
    assert sum(any(b[1] < a[1] for a, b in zip(v, v[1:], strict=False)) for v in totals) > 0  # counter resets
    late = [v[0][0] for (n, _), v in series.items() if n == "gen_ai_client_cost_usd_total"]
    assert max(late) > fl.start + 6 * 3600  # some label sets start in the middle of the period


def test_truth_is_what_the_samples_say(tmp_path: Path) -> None:
    """Over [a, b): each sample minus the one before it, or the sample itself at the first sample of
    a process (a series' first, or the first after its instance restarted); from the file's values."""
    fl = fleet.Fleet(SPEC)
    fl.write_openmetrics(tmp_path / "f.om")
    series = _samples(tmp_path / "f.om")
    restarts = {inst.instance: [fl.time(k) for k in inst.restarts] for inst in fl.instances}
    a, b = fl.start + 5 * 3600, fl.start + 28 * 3600
    for name in ("gen_ai_client_cost_usd_total", "gen_ai_client_tokens_total",
                 "gen_ai_client_operation_duration_seconds_bucket"):  # fmt: skip
        want: dict[fleet.Labels, float] = {}
        for (sample, labels), points in series.items():
            if sample != name:
                continue
            previous, before = 0.0, 0.0
            for t, v in points:
                if any(before < r <= t for r in restarts[dict(labels)["instance"]]):
                    previous = 0.0
                if a <= t < b:
                    want[labels] = want.get(labels, 0.0) + v - previous
                previous, before = v, t
        assert fl.truth(name, a, b) == want
