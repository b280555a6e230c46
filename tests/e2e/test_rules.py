"""The shipped Prometheus rules, budgets and Alertmanager configuration, checked by the tools that
will load them: `promtool check rules`, `promtool test rules` (prometheus/tests/), `amtool
check-config`, `amtool config routes test`, and a real Alertmanager applying the inhibition rules.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.alerting import (
    ALERTMANAGER_CONFIG,
    BUDGETS,
    PROMETHEUS,
    RULE_FILES,
    alertmanager_config_for_test,
    load_yaml,
    run_tool,
)
from tests.helpers.stack import AlertmanagerServer, WebhookReceiver

UNIT_TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))
ALERT_FILE_RULES = [rule for group in load_yaml(RULE_FILES[1])["groups"] for rule in group["rules"]]
ALERTS = [rule for rule in ALERT_FILE_RULES if "alert" in rule]
SCOPES = {"global", "service", "team", "tenant", "user", "model"}
USER_BUDGETS_EXAMPLE = PROMETHEUS.parent / "examples" / "budgets" / "user-budgets.yml"


# --- promtool ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "rules"),
    [
        (RULE_FILES[0], 34),
        (RULE_FILES[1], 17),
        (RULE_FILES[2], 36),
        (BUDGETS, 11),
        (PROMETHEUS / "tests" / "budgets.yml", 13),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else str(value),
)
def test_promtool_check_rules(path: Path, rules: int) -> None:
    result = run_tool("promtool", "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {rules} rules found" in result.stdout


def test_unit_test_files_exist() -> None:
    assert [p.name for p in UNIT_TESTS] == [
        "baseline_alerts_test.yml",
        "calendar_test.yml",
        "daily_budget_test.yml",
        "default_budget_test.yml",
        "health_alerts_test.yml",
        "monthly_budget_test.yml",
        "panels_test.yml",
    ]


@pytest.mark.parametrize("path", UNIT_TESTS, ids=lambda p: p.name)
def test_promtool_unit_tests(path: Path) -> None:
    result = run_tool("promtool", "test", "rules", path.name, cwd=path.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_unit_tests_catch_a_wrong_threshold(tmp_path: Path) -> None:
    """The unit tests can fail: an 80% alert that fires at 90% breaks them."""
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, copy)
    alerts = copy / "rules" / "alerts.yml"
    text = alerts.read_text()
    assert text.count("0.8 * genai_cost:effective_budget_usd:daily") == 1
    alerts.write_text(
        text.replace("0.8 * genai_cost:effective_budget_usd:daily", "0.9 * genai_cost:effective_budget_usd:daily")
    )
    result = run_tool("promtool", "test", "rules", "daily_budget_test.yml", cwd=copy / "tests")
    assert result.returncode != 0
    assert "GenAICostDailyBudget80Percent" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "removed",
    [
        '{budget_key!="_other"}',  # _other would get the default
        "\n          unless on (budget_scope, budget_key) genai_cost:budget_usd:monthly",  # the default would not yield
    ],
    ids=["other-gets-a-default", "default-overrides-own-budget"],
)
def test_unit_tests_catch_a_default_in_the_wrong_place(tmp_path: Path, removed: str) -> None:
    copy = tmp_path / "prometheus"
    shutil.copytree(PROMETHEUS, copy)
    alerts = copy / "rules" / "alerts.yml"
    text = alerts.read_text()
    assert removed in text
    alerts.write_text(text.replace(removed, ""))
    result = run_tool("promtool", "test", "rules", "default_budget_test.yml", cwd=copy / "tests")
    assert result.returncode != 0
    assert ('budget_key="_other"' if "_other" in removed else 'budget_key="u-dan"') in result.stdout + result.stderr


def test_every_alert_has_a_test_that_fires_and_one_that_does_not() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {alert["alert"] for alert in ALERTS}
    assert fires == names
    assert quiet == names


# --- what the rules say -----------------------------------------------------------------------------
@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_alert_labels_and_annotations(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in {"info", "warning", "critical"}
    annotations = alert["annotations"]
    assert set(annotations) == {"summary", "description", "dashboard"}
    assert annotations["dashboard"].startswith("https://grafana.example.com/d/")
    if alert["alert"] != "GenAICostMetricsAbsent":  # absent_over_time() has no labels to name a team by
        assert "team" in alert["labels"]


def test_budget_alert_thresholds() -> None:
    found = {
        (a["labels"]["budget_period"], a["labels"].get("budget_threshold"), a["labels"]["severity"])
        for a in ALERTS
        if "budget_period" in a["labels"]
    }
    assert found == {
        ("daily", "50", "info"),
        ("daily", "80", "warning"),
        ("daily", "100", "critical"),
        ("monthly", "50", "info"),
        ("monthly", "80", "warning"),
        ("monthly", "100", "critical"),
        ("monthly", None, "warning"),  # the month-end forecast
    }


def test_budget_alerts_hold_no_amounts() -> None:
    """Budgets live in budgets.yml: no alert expression holds a dollar figure."""
    for alert in ALERTS:
        if "budget_period" in alert["labels"]:
            assert "genai_cost:effective_budget_usd:" in alert["expr"]
            assert re.findall(r"\d+(?:\.\d+)?", alert["expr"].replace("1d", "")) in ([], ["0.5"], ["0.8"]), alert


def _budget_rules(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(own budgets, defaults, other rules) of a budgets file, each budget a plain amount."""
    rules = [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]
    budgets = [r for r in rules if r["record"].startswith("genai_cost:budget_usd:")]
    defaults = [r for r in rules if r["record"].startswith("genai_cost:default_budget_usd:")]
    for rule in budgets + defaults:
        assert re.fullmatch(r"vector\(\d+(\.\d+)?\)", rule["expr"]), rule
        assert rule["labels"]["budget_scope"] in SCOPES, rule
    keys = [(r["record"], r["labels"]["budget_scope"], r["labels"]["budget_key"]) for r in budgets]
    assert len(keys) == len(set(keys)), "one budget per scope, key and period"
    scopes = [(r["record"], r["labels"]["budget_scope"]) for r in defaults]
    assert len(scopes) == len(set(scopes)), "one default per scope and period"
    for rule in budgets:
        assert set(rule["labels"]) <= {"budget_scope", "budget_key", "team"}, rule
    for rule in defaults:
        assert set(rule["labels"]) <= {"budget_scope", "team"}, rule  # no budget_key: every key
    return budgets, defaults, [r for r in rules if r not in budgets + defaults]


def test_shipped_budgets_file() -> None:
    budgets, defaults, others = _budget_rules(BUDGETS)
    assert {r["record"] for r in budgets} == {"genai_cost:budget_usd:daily", "genai_cost:budget_usd:monthly"}
    # The user scope's example is examples/budgets/user-budgets.yml, loadable beside this file.
    assert {r["labels"]["budget_scope"] for r in budgets} == SCOPES - {"user"}
    assert [(r["record"], r["labels"]["budget_scope"]) for r in defaults] == [
        ("genai_cost:default_budget_usd:monthly", "tenant")
    ]
    assert {r["record"] for r in others} == {
        "genai_cost:anomaly_floor_usd:1h",
        "genai_cost:cache_floor_input_tokens:1h",
    }


def test_example_user_budgets_file() -> None:
    """examples/budgets/: a user default and one user's own budget, loadable beside budgets.yml."""
    result = run_tool("promtool", "check", "rules", str(USER_BUDGETS_EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    budgets, defaults, others = _budget_rules(USER_BUDGETS_EXAMPLE)
    assert [(r["record"], r["labels"]["budget_scope"]) for r in defaults] == [
        ("genai_cost:default_budget_usd:monthly", "user")
    ]
    assert [(r["record"], r["labels"]["budget_scope"]) for r in budgets] == [("genai_cost:budget_usd:monthly", "user")]
    assert others == []
    # A group name of its own, so that rule listings (and promtool's group_eval_order) tell them apart.
    shipped = {group["name"] for group in load_yaml(BUDGETS)["groups"]}
    assert not shipped & {group["name"] for group in load_yaml(USER_BUDGETS_EXAMPLE)["groups"]}


def test_every_budget_scope_has_spend_rules() -> None:
    """Every scope's spend, per key: in the recording rules, and the user scope in alerts.yml."""
    recording = [r for path in RULE_FILES for g in load_yaml(path)["groups"] for r in g["rules"] if "record" in r]
    for record in ("genai_cost:scope_cost_usd:1d", "genai_cost:scope_cost_usd:month_to_date"):
        scopes = [r["labels"]["budget_scope"] for r in recording if r["record"] == record]
        assert sorted(scopes) == sorted(SCOPES), record


# --- Alertmanager --------------------------------------------------------------------------------
def test_amtool_check_config() -> None:
    result = run_tool("amtool", "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert " - 2 inhibit rules" in result.stdout
    assert " - 6 receivers" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receiver"),
    [
        ({"alertname": "GenAICostDailyBudgetExceeded", "team": "search", "severity": "critical"}, "search-critical"),
        ({"alertname": "GenAICostDailyBudget80Percent", "team": "search", "severity": "warning"}, "search-slack"),
        ({"alertname": "GenAICostMonthlyBudgetExceeded", "team": "support", "severity": "critical"}, "support-slack"),
        ({"alertname": "GenAICostDailyBudgetExceeded", "team": "platform", "severity": "critical"}, "finops-oncall"),
        ({"alertname": "GenAICostSpendAnomaly", "job": "checkout", "severity": "warning"}, "finops-slack"),
        ({"alertname": "GenAICostDailyBudget50Percent", "team": "platform", "severity": "info"}, "genai-cost-webhook"),
        ({"alertname": "GenAICostMetricsAbsent", "severity": "warning"}, "finops-slack"),
    ],
    ids=lambda value: value if isinstance(value, str) else ",".join(f"{k}={v}" for k, v in value.items()),
)
def test_amtool_routes(labels: dict[str, str], receiver: str) -> None:
    result = run_tool(
        "amtool",
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        *(f"{k}={v}" for k, v in labels.items()),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receiver


def _budget_alert(threshold: str, severity: str, key: str, team: str) -> dict[str, Any]:
    names = {
        "100": "GenAICostDailyBudgetExceeded",
        "80": "GenAICostDailyBudget80Percent",
        "50": "GenAICostDailyBudget50Percent",
    }
    labels = {
        "alertname": names[threshold],
        "severity": severity,
        "team": team,
        "budget_scope": "service",
        "budget_key": key,
        "budget_period": "daily",
        "budget_threshold": threshold,
        "job": key,
    }
    return {"labels": labels, "annotations": {"summary": f"{key} at {threshold}%"}}


def _post(url: str, body: Any) -> None:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback test URL
        assert response.status == 200


def test_alertmanager_inhibits_lower_thresholds_of_an_exceeded_budget(tmp_path: Path) -> None:
    with (
        WebhookReceiver() as webhook,
        AlertmanagerServer(tmp_path / "am", alertmanager_config_for_test(webhook.url)) as am,
    ):
        _post(
            f"{am.url}/api/v2/alerts",
            [
                _budget_alert("100", "critical", "checkout", "platform"),
                _budget_alert("80", "warning", "checkout", "platform"),
                _budget_alert("50", "info", "checkout", "platform"),
                _budget_alert("50", "info", "search-api", "search"),  # another budget: not inhibited
            ],
        )
        exceeded = webhook.wait_for(lambda p: p["commonLabels"].get("budget_threshold") == "100", timeout=15)
        assert exceeded["receiver"] == "finops-oncall"
        assert [a["labels"]["budget_key"] for a in exceeded["alerts"]] == ["checkout"]
        other = webhook.wait_for(lambda p: p["commonLabels"].get("budget_key") == "search-api", timeout=15)
        assert other["receiver"] == "search-slack"

        with urllib.request.urlopen(f"{am.url}/api/v2/alerts", timeout=5) as response:  # noqa: S310
            alerts = json.load(response)
        state = {(a["labels"]["budget_key"], a["labels"]["budget_threshold"]): a["status"] for a in alerts}
        assert state[("checkout", "100")]["state"] == "active"
        assert state[("search-api", "50")]["state"] == "active"
        for threshold in ("80", "50"):
            assert state[("checkout", threshold)]["state"] == "suppressed"
            assert state[("checkout", threshold)]["inhibitedBy"] != []
        time.sleep(1.5)  # a group interval: nothing about the muted alerts was sent meanwhile
        sent = {
            (a["labels"]["budget_key"], a["labels"]["budget_threshold"]) for p in webhook.payloads for a in p["alerts"]
        }
        assert sent == {("checkout", "100"), ("search-api", "50")}
