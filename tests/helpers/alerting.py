"""The shipped Prometheus rules and Alertmanager configuration, prepared for tests.

- :data:`RULE_FILES`, :data:`BUDGETS`, :data:`ALERTMANAGER_CONFIG`: the files users deploy.
- :func:`alertmanager_config_for_test`: the shipped Alertmanager configuration with its routing
  tree and inhibition rules untouched, every receiver replaced by one webhook (the receiver's name
  is kept, so a payload says which route it took) and the grouping waits cut to seconds.
- :func:`budgets_file`: a budgets file in the format of prometheus/budgets.yml.
- :func:`alert_pipeline`: Prometheus evaluating rule files on a scraped job, sending to Alertmanager
  (:func:`alertmanager_config_for_test`), delivering to a webhook receiver.
- :func:`rule_files_for_test`: the shipped rule files evaluated at the test Prometheus's interval.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.stack import AlertmanagerServer, PrometheusServer, WebhookReceiver

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "prometheus"
RULE_FILES = (
    PROMETHEUS / "rules" / "genai-cost.rules.yml",
    PROMETHEUS / "rules" / "alerts.yml",
    PROMETHEUS / "rules" / "genai-cost-panels.rules.yml",
)
BUDGETS = PROMETHEUS / "budgets.yml"
ALERTMANAGER_CONFIG = REPO / "prometheus" / "alertmanager.yml"


def tool(name: str) -> str:
    """Path of promtool / amtool; a missing one fails the test (CI installs Debian's packages)."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: apt-get install prometheus prometheus-alertmanager")
    return found


def run_tool(name: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(name), *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alertmanager_config_for_test(webhook_url: str) -> str:
    """The shipped configuration, delivering every route to ``webhook_url`` within a second."""
    config = load_yaml(ALERTMANAGER_CONFIG)
    config["global"] = {"resolve_timeout": "5m"}
    # A second of group_wait, as the shipped 30 s, lets the inhibitor see every alert of one
    # evaluation before the first notification leaves.
    config["route"].update(group_wait="1s", group_interval="1s", repeat_interval="1h")
    config["receivers"] = [
        {"name": receiver["name"], "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}
        for receiver in config["receivers"]
    ]
    return json.dumps(config, indent=2)


def budgets_file(path: Path, budgets: Sequence[Mapping[str, Any]]) -> Path:
    """Write budgets like prometheus/budgets.yml: each item has period, usd and the rule labels."""
    rules = []
    for budget in budgets:
        labels = {k: v for k, v in budget.items() if k not in ("period", "usd")}
        record = f"genai_cost:budget_usd:{budget['period']}"
        rules.append({"record": record, "expr": f"vector({budget['usd']})", "labels": labels})
    path.write_text(json.dumps({"groups": [{"name": "genai-cost-budgets", "rules": rules}]}, indent=2))
    return path


@dataclass
class AlertPipeline:
    webhook: WebhookReceiver
    alertmanager: AlertmanagerServer
    prometheus: PrometheusServer


@contextmanager
def alert_pipeline(
    workdir: Path, scrape_targets: Mapping[str, Sequence[str]], rule_files: Sequence[Path]
) -> Iterator[AlertPipeline]:
    """Prometheus scraping ``scrape_targets`` with ``rule_files`` -> Alertmanager with the shipped
    routing -> a webhook receiver; all three stopped on exit."""
    with (
        WebhookReceiver() as webhook,
        AlertmanagerServer(workdir / "am", alertmanager_config_for_test(webhook.url)) as alertmanager,
        PrometheusServer(
            workdir / "prom", scrape_targets=scrape_targets, rule_files=rule_files, alertmanager_url=alertmanager.url
        ) as prometheus,
    ):
        yield AlertPipeline(webhook, alertmanager, prometheus)


def rule_files_for_test(folder: Path) -> list[Path]:
    """The shipped rule files without their groups' own evaluation intervals (1m, 5m), so that a test
    Prometheus evaluates them at its global interval (a second): same rules, answers within seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for path in RULE_FILES:
        rules = load_yaml(path)
        for group in rules["groups"]:
            group.pop("interval", None)
        copy = folder / path.name
        copy.write_text(json.dumps(rules, indent=2), encoding="utf-8")
        out.append(copy)
    return out
