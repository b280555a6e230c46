"""The per-call dashboard: generated from grafana/ledger_dashboard.py, committed, current.

Its queries run against the ledger in tests/e2e/test_ledger_files.py (every panel returns rows)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "grafana"


def _generator() -> ModuleType:
    sys.path.insert(0, str(GRAFANA))  # it imports grafana/generate.py as its sibling
    try:
        spec = importlib.util.spec_from_file_location("grafana_ledger_dashboard", GRAFANA / "ledger_dashboard.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(GRAFANA))


GENERATOR = _generator()


def test_committed_dashboard_is_the_generators_output() -> None:
    assert GENERATOR.OUT.read_text(encoding="utf-8") == GENERATOR.render(GENERATOR.dashboard())
    assert GENERATOR.main(["--check"]) == 0


def test_every_panel_queries_the_ledger_table_in_clickhouse() -> None:
    board = json.loads(GENERATOR.OUT.read_text(encoding="utf-8"))
    assert board["uid"] == "genai-cost-ledger"
    titles = [panel["title"] for panel in board["panels"]]
    assert {"Top users by cost", "Top conversations by cost", "Slowest calls", "Most expensive calls"} <= set(titles)
    for panel in board["panels"]:
        [target] = panel["targets"]
        assert target["datasource"] == {"type": "grafana-clickhouse-datasource", "uid": "${datasource}"}
        assert "FROM otel.genai_calls WHERE $__timeFilter(time)" in target["rawSql"], panel["title"]
