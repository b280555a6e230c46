"""A default per-user budget, end to end: the budget app runs under `opentelemetry-instrument`
with GENAI_COST_METRIC_LABELS=user.id, so its cost counters carry `user_id`; a real Prometheus
evaluates the shipped rules and budgets.yml with examples/budgets/user-budgets.yml beside it ($5 a
month for every user, $50 for u-1001); a real Alertmanager with the shipped routing delivers to a
test webhook. The app's $8.67 is far under every shipped budget.

u-2002 has no budget of its own and spends $5.60: the user default's 100% alert reaches the
webhook naming the user and the amounts. u-1001 spends $3.07, 61% of the default but 6% of its
own budget: no alert.
"""

from __future__ import annotations

import calendar
import json
import re
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.alerting import BUDGETS, REPO, AlertPipeline, alert_pipeline, rule_files_for_test
from tests.helpers.process import AppProcess

JOB = "e2e-user-budget-app"
USER_BUDGETS = REPO / "examples" / "budgets" / "user-budgets.yml"
# USD per million tokens (genai-prices): gpt-4.1 2.00 in / 8.00 out; gpt-4o-mini 0.15 in / 0.60 out.
GPT_4_1 = (1_000_000 * 2.00 + 100_000 * 8.00) / 1e6  # 2.80 a call
GPT_4O_MINI = (1_000_000 * 0.15 + 200_000 * 0.60) / 1e6  # 0.27
U_2002 = 2 * GPT_4_1  # 5.60
U_1001 = GPT_4_1 + GPT_4O_MINI  # 3.07
EXCEEDED = "GenAICostMonthlyBudgetExceeded"


@pytest.fixture(scope="module")
def delivered(
    tmp_path_factory: pytest.TempPathFactory, prometheus_port: int, budget_app: Callable[..., AppProcess]
) -> Iterator[AlertPipeline]:
    app = budget_app(JOB, GENAI_COST_METRIC_LABELS="user.id")
    workdir = tmp_path_factory.mktemp("user-budget-alert")
    rule_files = [*rule_files_for_test(workdir / "rules"), BUDGETS, USER_BUDGETS]
    with alert_pipeline(workdir, {JOB: [f"127.0.0.1:{prometheus_port}"]}, rule_files) as pipeline:
        try:
            yield pipeline
        finally:
            app.send_line("exit")
            app.wait(timeout=15)


def _exceeded(delivered: AlertPipeline) -> dict[str, Any]:
    payload = delivered.webhook.wait_for(lambda p: p["commonLabels"].get("alertname") == EXCEEDED, timeout=60)
    assert payload["receiver"] == "finops-oncall"  # team=education has no route; severity=critical
    (alert,) = payload["alerts"]
    return alert


def _forecast(spent: float, at: float) -> float:
    """Month to date plus the same again per day until the month ends (UTC), at minute resolution."""
    now = time.gmtime(at)
    days = calendar.monthrange(now.tm_year, now.tm_mon)[1]
    remaining = (days - now.tm_mday + 1) * 86400 - now.tm_hour * 3600 - now.tm_min * 60
    return spent + spent / 86400 * remaining


def test_default_user_budget_alert_names_the_user_and_the_amounts(delivered: AlertPipeline) -> None:
    alert = _exceeded(delivered)
    assert alert["labels"] == {
        "alertname": EXCEEDED,
        "severity": "critical",
        "team": "education",
        "budget_scope": "user",
        "budget_key": "u-2002",
        "budget_label": "user_id",
        "user_id": "u-2002",
        "budget_default": "true",
        "budget_period": "monthly",
        "budget_threshold": "100",
    }
    assert f"{U_2002:.2f}" == "5.60"
    assert alert["annotations"]["summary"] == (
        'LLM spend of user "u-2002" this month (since the 1st, 00:00 UTC) is $5.60: 112% of the default'
        " monthly budget per user of $5.00."
    )
    # The forecast sentence goes first, once the user's forecast is recorded: one evaluation after
    # its spend, as the forecast rule runs in another group, so a first alert may go without it.
    forecast, tail = re.fullmatch(
        r"(?:Forecast for the whole month at the last 24 hours' rate: \$([0-9.]+)\. )?(.*)",
        alert["annotations"]["description"],
    ).groups()
    assert tail == (
        f"Biggest spenders this month (service / model): {JOB} / gpt-4.1 $5.60. If the spend is expected,"
        ' give user "u-2002" a monthly budget of its own in prometheus/budgets.yml, or raise the default per user;'
        " otherwise find the caller on the dashboard and stop or throttle it."
    )
    if forecast is not None:
        started = calendar.timegm(time.strptime(alert["startsAt"][:19], "%Y-%m-%dT%H:%M:%S"))
        assert float(forecast) == pytest.approx(_forecast(U_2002, started), abs=0.01)


def test_default_user_budget_forecast(delivered: AlertPipeline) -> None:
    (series,) = delivered.prometheus.wait_for('genai_cost:scope_cost_usd:month_forecast{budget_key="u-2002"}', 30)
    at, value = series["value"]
    # A minute moves the forecast by $0.004: the rule ran within a second of the query time.
    assert float(value) == pytest.approx(_forecast(U_2002, float(at)), abs=0.005)
    assert series["metric"] == {
        "__name__": "genai_cost:scope_cost_usd:month_forecast",
        "budget_scope": "user",
        "budget_key": "u-2002",
        "budget_label": "user_id",
        "user_id": "u-2002",
    }


def test_only_the_user_without_a_budget_of_its_own_is_alerted(delivered: AlertPipeline) -> None:
    _exceeded(delivered)
    firing = delivered.prometheus.query('ALERTS{alertstate="firing", budget_period!=""}')
    assert sorted((a["metric"]["alertname"], a["metric"]["budget_key"]) for a in firing) == [
        ("GenAICostMonthlyBudget50Percent", "u-2002"),
        ("GenAICostMonthlyBudget80Percent", "u-2002"),
        ("GenAICostMonthlyBudgetExceeded", "u-2002"),
    ]
    budgets = delivered.prometheus.query('genai_cost:effective_budget_usd:monthly{budget_scope="user"}')
    assert {(b["metric"]["budget_key"], b["metric"].get("budget_default"), float(b["value"][1])) for b in budgets} == {
        ("u-1001", None, 50.0),
        ("u-2002", "true", 5.0),
    }
    spend = delivered.prometheus.query('genai_cost:scope_cost_usd:month_to_date{budget_scope="user"}')
    by_user = {s["metric"]["budget_key"]: float(s["value"][1]) for s in spend}
    assert by_user == {"u-2002": pytest.approx(U_2002, rel=1e-9), "u-1001": pytest.approx(U_1001, rel=1e-9)}
    # u-2002's 50% and 80% alerts are muted by its 100% one: the webhook never got them.
    with urllib.request.urlopen(f"{delivered.alertmanager.url}/api/v2/alerts", timeout=5) as response:  # noqa: S310
        states = {a["labels"]["alertname"]: a["status"]["state"] for a in json.load(response)}
    assert states == {
        EXCEEDED: "active",
        "GenAICostMonthlyBudget80Percent": "suppressed",
        "GenAICostMonthlyBudget50Percent": "suppressed",
    }
