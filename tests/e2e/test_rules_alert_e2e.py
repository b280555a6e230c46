"""A budget alert from a real run, end to end: an app with no OpenTelemetry code runs under
`opentelemetry-instrument` (the real openai SDK against the local mock provider) and spends $8.67;
a real Prometheus scrapes its OTel Prometheus endpoint and evaluates the shipped recording and
alert rules with a small test budgets file; a real Alertmanager with the shipped routing and
inhibition rules (receivers pointed at a test webhook) delivers the alerts.

The app has finished all its calls before Prometheus first scrapes it, so every cost series
appears once, already at its final value, and never changes: increase() alone would see no spend
at all (the first-sample trap). The shipped rules count it in full.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.alerting import AlertPipeline, alert_pipeline, budgets_file, rule_files_for_test
from tests.helpers.process import AppProcess

JOB = "e2e-budget-app"
# USD per million tokens (genai-prices): gpt-4.1 2.00 in / 8.00 out; gpt-4o-mini 0.15 in / 0.60 out.
GPT_4_1 = 3 * (1_000_000 * 2.00 + 100_000 * 8.00) / 1e6  # 8.40
GPT_4O_MINI = (1_000_000 * 0.15 + 200_000 * 0.60) / 1e6  # 0.27
SPEND = GPT_4_1 + GPT_4O_MINI  # 8.67
BUDGETS = [
    # The service's daily budget: $8.67 is 173.4% of $5, so the 50, 80 and 100% alerts all fire.
    {"period": "daily", "usd": 5, "budget_scope": "service", "budget_key": JOB, "team": "search"},
    # The whole organisation's: 72.25% of $12, the 50% alert only.
    {"period": "daily", "usd": 12, "budget_scope": "global", "budget_key": "all", "team": "platform"},
    # Far from these.
    {"period": "monthly", "usd": 1000, "budget_scope": "global", "budget_key": "all", "team": "platform"},
    {"period": "daily", "usd": 100, "budget_scope": "model", "budget_key": "gpt-4.1"},
]
DESCRIPTION_TAIL = (
    " The 24-hour window rolls: spend leaves it a day after it happened. If the spend is expected, raise the daily"
    " budget of this scope in prometheus/budgets.yml; otherwise find the caller on the dashboard and stop or"
    " throttle it."
)


@pytest.fixture(scope="module")
def delivered(
    tmp_path_factory: pytest.TempPathFactory, prometheus_port: int, budget_app: Callable[..., AppProcess]
) -> Iterator[AlertPipeline]:
    workdir = tmp_path_factory.mktemp("budget-alert")
    app = budget_app(JOB)
    budgets = budgets_file(workdir / "budgets.yml", BUDGETS)
    rule_files = [*rule_files_for_test(workdir / "rules"), budgets]
    with alert_pipeline(workdir, {JOB: [f"127.0.0.1:{prometheus_port}"]}, rule_files) as pipeline:
        try:
            yield pipeline
        finally:
            app.send_line("exit")
            app.wait(timeout=15)


def _alert(payload: dict[str, Any], alertname: str) -> dict[str, Any]:
    (alert,) = [a for a in payload["alerts"] if a["labels"]["alertname"] == alertname]
    return alert


def test_exceeded_daily_budget_reaches_the_team_on_call(delivered: AlertPipeline) -> None:
    payload = delivered.webhook.wait_for(
        lambda p: p["commonLabels"].get("alertname") == "GenAICostDailyBudgetExceeded", timeout=60
    )
    assert payload["receiver"] == "search-critical"  # team=search, severity=critical
    assert payload["status"] == "firing"
    alert = _alert(payload, "GenAICostDailyBudgetExceeded")
    assert alert["labels"] == {
        "alertname": "GenAICostDailyBudgetExceeded",
        "severity": "critical",
        "team": "search",
        "budget_scope": "service",
        "budget_key": JOB,
        "budget_label": "job",
        "budget_period": "daily",
        "budget_threshold": "100",
        "job": JOB,
    }
    assert f"{SPEND:.2f}" == "8.67" and f"{SPEND / 5:.4f}" == "1.7340"
    assert alert["annotations"] == {
        "summary": f'LLM spend of service "{JOB}" in the last 24 hours is $8.67: 173.4% of its daily budget of $5.00.',
        "description": (
            f"Biggest spenders in the last 24 hours (service / model): {JOB} / gpt-4.1 ${GPT_4_1:.2f}; "
            f"{JOB} / gpt-4o-mini ${GPT_4O_MINI:.2f}." + DESCRIPTION_TAIL
        ),
        "dashboard": f"https://grafana.example.com/d/genai-cost-overview/genai-cost-overview?var-service={JOB}",
    }


def test_half_of_the_global_budget_reaches_the_default_webhook(delivered: AlertPipeline) -> None:
    payload = delivered.webhook.wait_for(
        lambda p: (
            p["commonLabels"].get("alertname") == "GenAICostDailyBudget50Percent"
            and p["commonLabels"].get("budget_scope") == "global"
        ),
        timeout=60,
    )
    assert payload["receiver"] == "genai-cost-webhook"  # team=platform has no route; severity=info
    alert = _alert(payload, "GenAICostDailyBudget50Percent")
    assert alert["labels"]["team"] == "platform"
    assert f"{SPEND / 12:.4f}" == "0.7225"
    assert alert["annotations"]["summary"] == (
        'LLM spend of global "all" in the last 24 hours is $8.67: 72.25% of its daily budget of $12.00.'
    )


def test_lower_thresholds_of_the_exceeded_budget_are_inhibited(delivered: AlertPipeline) -> None:
    delivered.webhook.wait_for(
        lambda p: p["commonLabels"].get("alertname") == "GenAICostDailyBudgetExceeded", timeout=60
    )
    with urllib.request.urlopen(f"{delivered.alertmanager.url}/api/v2/alerts", timeout=5) as response:  # noqa: S310
        alerts = json.load(response)
    service = {a["labels"]["alertname"]: a["status"]["state"] for a in alerts if a["labels"].get("budget_key") == JOB}
    assert service == {
        "GenAICostDailyBudgetExceeded": "active",
        "GenAICostDailyBudget80Percent": "suppressed",
        "GenAICostDailyBudget50Percent": "suppressed",
    }
    sent = {
        (a["labels"]["alertname"], a["labels"]["budget_key"]) for p in delivered.webhook.payloads for a in p["alerts"]
    }
    assert ("GenAICostDailyBudget50Percent", JOB) not in sent
    assert ("GenAICostDailyBudget80Percent", JOB) not in sent


def test_no_other_budget_alert_fires(delivered: AlertPipeline) -> None:
    delivered.webhook.wait_for(
        lambda p: p["commonLabels"].get("alertname") == "GenAICostDailyBudgetExceeded", timeout=60
    )
    firing = delivered.prometheus.query('ALERTS{alertstate="firing", budget_period!=""}')
    assert sorted((a["metric"]["alertname"], a["metric"]["budget_scope"]) for a in firing) == [
        ("GenAICostDailyBudget50Percent", "global"),
        ("GenAICostDailyBudget50Percent", "service"),
        ("GenAICostDailyBudget80Percent", "service"),
        ("GenAICostDailyBudgetExceeded", "service"),
    ]
    # The spend Prometheus holds is the app's, to the cent, without any increase() lost to the first sample.
    (spend,) = delivered.prometheus.query('genai_cost:scope_cost_usd:1d{budget_scope="global"}')
    assert float(spend["value"][1]) == pytest.approx(SPEND, rel=1e-9)
