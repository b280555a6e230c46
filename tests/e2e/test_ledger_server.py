"""The ledger on a ClickHouse server, over its HTTP interface: `genai-cost calls` and `genai-cost
report --source ledger` in every format, against the truth of the calls written.

The server's side is the ClickHouse exporter's own `otel_traces` table at the pinned version with the
ledger's typed table and view on top (tests/helpers/clickhouse.py), answered over loopback HTTP as
ClickHouse answers: the query in the POST body, the user and password in ClickHouse's headers,
failures as a status and a "Code: N. DB::Exception" body. Three days of calls of three users, two
tenants and two providers, with failed and unpriced calls among them. The HTML report is opened by
headless Chromium.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import random
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from genai_cost import names
from genai_cost.cli import main
from genai_cost.ledger.engines import TablesLedger
from tests.helpers import clickhouse
from tests.helpers.chromium import PLOTLY_CHARTS, Chromium
from tests.helpers.focus import MANDATORY, check_row

DAYS = ("2026-11-03", "2026-11-04", "2026-11-05")
TENANTS = {"alice": "acme", "bob": "acme", "carol": "globex"}
MODELS = (("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-5"))
USER, PASSWORD = "reader", "s3cret p@ss"
CALLS_PER_DAY = 60
DATABASE = "ledger_http"


def _day_start(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()) * 10**9


def _value(value: Any) -> str:
    """An attribute value as the exporter writes it (pcommon Value.AsString)."""
    if isinstance(value, float):
        return clickhouse.as_string(AnyValue(double_value=value))
    return clickhouse.as_string(AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value))


def _call(rng: random.Random, day: str, index: int) -> dict[str, Any]:
    user = rng.choice(sorted(TENANTS))
    provider, model = rng.choice(MODELS)
    attributes: dict[str, Any] = {
        names.OPERATION_NAME: "chat",
        names.PROVIDER_NAME: provider,
        names.REQUEST_MODEL: model,
        names.RESPONSE_MODEL: model,
        "user.id": user,
        "tenant.id": TENANTS[user],
        names.CONVERSATION_ID: f"{user}-{index % 4}",
    }
    if index % 17 == 5:
        attributes[names.ERROR_TYPE] = "RateLimitError"
    else:
        inputs, outputs, cached = rng.randrange(200, 9000), rng.randrange(10, 900), rng.randrange(0, 4) * 128
        attributes |= {
            names.USAGE_INPUT_TOKENS: inputs,
            names.USAGE_OUTPUT_TOKENS: outputs,
            names.USAGE_CACHE_READ_INPUT_TOKENS: cached,
        }
        if index % 23 == 7:
            attributes[names.UNPRICED_REASON] = "unknown_model"
        else:
            attributes[names.USAGE_COST] = inputs * 2.5e-6 + outputs * 1e-5 - cached * 1.875e-6
            attributes[names.CACHE_SAVINGS] = cached * 1.875e-6
    start = _day_start(day) + rng.randrange(86_400) * 10**9 + index
    return {
        "Timestamp": start,
        "TraceId": f"{rng.getrandbits(128):032x}",
        "SpanId": f"{rng.getrandbits(64):016x}",
        "ParentSpanId": "",
        "TraceState": "",
        "SpanName": f"chat {model}",
        "SpanKind": "Client",
        "ServiceName": "support-bot",
        "ResourceAttributes": {"service.name": "support-bot", "deployment.environment.name": "prod"},
        "ScopeName": names.SCOPE_NAME,
        "ScopeVersion": "0.1.0",
        "SpanAttributes": {key: _value(value) for key, value in attributes.items()},
        "Duration": rng.randrange(200, 5000) * 10**6,
        "StatusCode": "Error" if names.ERROR_TYPE in attributes else "Unset",
        "StatusMessage": "",
        "_attributes": attributes,
        "_day": day,
    }


def _calls() -> list[dict[str, Any]]:
    rng = random.Random(11)
    return [_call(rng, day, i) for day in DAYS for i in range(CALLS_PER_DAY)]


CALLS = _calls()


def _truth(key: str) -> dict[str, dict[str, float]]:
    """Totals per value of the span attribute ``key`` ("" for all calls), summed in Python."""
    figures: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for call in CALLS:
        attributes = call["_attributes"]
        group = figures[attributes[key] if key else ""]
        group["calls"].append(1)
        group["errors"].append(names.ERROR_TYPE in attributes)
        group["unpriced_calls"].append(names.UNPRICED_REASON in attributes)
        group["cost_usd"].append(attributes.get(names.USAGE_COST, 0.0))
        group["cache_savings_usd"].append(attributes.get(names.CACHE_SAVINGS, 0.0))
        group["input_tokens"].append(attributes.get(names.USAGE_INPUT_TOKENS, 0))
        group["cache_read_tokens"].append(attributes.get(names.USAGE_CACHE_READ_INPUT_TOKENS, 0))
        group["output_tokens"].append(attributes.get(names.USAGE_OUTPUT_TOKENS, 0))
    return {value: {name: math.fsum(v) for name, v in totals.items()} for value, totals in figures.items()}


def _daily_cost(user: str) -> list[float]:
    return [
        math.fsum(
            c["_attributes"].get(names.USAGE_COST, 0.0)
            for c in CALLS
            if c["_day"] == day and c["_attributes"]["user.id"] == user
        )
        for day in DAYS
    ]


@pytest.fixture(scope="module")
def server() -> Iterator[clickhouse.HttpInterface]:
    # A database of its own: chdb's default session is shared by every test module of the process.
    ledger = TablesLedger(clickhouse.traces_ddl(DATABASE), DATABASE)
    clickhouse.insert(ledger, [{k: v for k, v in call.items() if not k.startswith("_")} for call in CALLS])
    with clickhouse.HttpInterface(ledger, USER, PASSWORD) as interface:
        yield interface
    ledger.session.close()  # chdb holds one embedded server per process: free it for the next module


def _url(server: clickhouse.HttpInterface, password: str = PASSWORD) -> str:
    secret = urllib.parse.quote(password, safe="")
    return f"http://{USER}:{secret}@127.0.0.1:{server.port}/?database={DATABASE}"


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _report(server: clickhouse.HttpInterface, *args: str) -> str:
    period = ("--from", DAYS[0], "--to", DAYS[-1])
    code, out, err = _cli("report", "--source", "ledger", "--ledger", _url(server), *period, *args)
    assert code == 0, err
    return out


def test_calls_are_read_over_http_with_the_users_credentials(server: clickhouse.HttpInterface) -> None:
    asked = len(server.queries)
    code, out, err = _cli("calls", "--ledger", _url(server), "--user", "carol", "--errors", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    expected = [c for c in CALLS if c["_attributes"]["user.id"] == "carol" and names.ERROR_TYPE in c["_attributes"]]
    assert sorted(row["span_id"] for row in rows) == sorted(c["SpanId"] for c in expected)
    assert all(row["error_type"] == "RateLimitError" for row in rows)
    assert len(server.queries) == asked + 1


def test_a_wrong_password_is_one_line_without_the_password(server: clickhouse.HttpInterface) -> None:
    code, out, err = _cli("calls", "--ledger", _url(server, "wrong-password"))
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "516" in err and "Authentication failed" in err
    assert "wrong-password" not in err


def test_a_server_error_names_clickhouses_reason(server: clickhouse.HttpInterface) -> None:
    url = _url(server).replace(f"database={DATABASE}", "database=nowhere")
    code, _, err = _cli("calls", "--ledger", url)
    assert code == 1 and "DB::Exception" in err and "nowhere" in err, err


@pytest.mark.parametrize(
    ("by", "label", "attribute"), [("user", "user_id", "user.id"), ("tenant", "tenant_id", "tenant.id")]
)
def test_report_json_per_group_equals_the_calls(
    server: clickhouse.HttpInterface, by: str, label: str, attribute: str
) -> None:
    doc = json.loads(_report(server, "--by", by, "--format", "json"))
    truth = _truth(attribute)
    assert {group["labels"][label] for group in doc["groups"]} == set(truth)
    for group in doc["groups"]:
        expected = truth[group["labels"][label]]
        for name, value in expected.items():
            assert group[name] == pytest.approx(value, rel=1e-9, abs=1e-12), (group["labels"], name)
    everything = _truth("")[""]
    assert doc["total"]["cost_usd"] == pytest.approx(everything["cost_usd"], rel=1e-9)
    assert doc["total"]["calls"] == len(CALLS)
    assert [day["date"] for day in doc["daily"]] == list(DAYS)
    assert [day["calls"] for day in doc["daily"]] == [CALLS_PER_DAY] * len(DAYS)


def test_report_focus_rows_are_valid_and_add_up(server: clickhouse.HttpInterface) -> None:
    reader = csv.DictReader(io.StringIO(_report(server, "--by", "user", "--format", "focus")))
    rows = list(reader)
    assert MANDATORY <= set(reader.fieldnames or ())
    for row in rows:
        assert set(check_row(row)) == {"user_id"}
    assert math.fsum(float(row["BilledCost"]) for row in rows) == pytest.approx(_truth("")[""]["cost_usd"], rel=1e-9)
    alice = math.fsum(float(row["BilledCost"]) for row in rows if json.loads(row["Tags"])["user_id"] == "alice")
    assert alice == pytest.approx(_truth("user.id")["alice"]["cost_usd"], rel=1e-9)


def test_report_csv_and_markdown_list_every_user(server: clickhouse.HttpInterface) -> None:
    rows = list(csv.DictReader(io.StringIO(_report(server, "--by", "user", "--format", "csv"))))
    assert {row["user_id"] for row in rows if row.get("user_id")} == set(TENANTS)
    markdown = _report(server, "--by", "user", "--format", "markdown")
    assert all(f"| {user} " in markdown for user in TENANTS)


def test_report_html_opens_offline_and_draws_each_users_days(server: clickhouse.HttpInterface, tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    _report(server, "--by", "user", "--format", "html", "-o", str(output))
    with Chromium(tmp_path / "chromium") as browser, browser.page() as page:
        page.open(output)
        charts = {chart["id"]: chart for chart in page.evaluate(PLOTLY_CHARTS)}
        shot = page.screenshot(tmp_path / "report.png")
        print(f"\nledger HTML report screenshot: {shot}")
        assert page.console_errors == []
        assert page.requests == [output.resolve().as_uri()]
    daily = charts["chart-cost-daily"]
    assert daily["data"] == daily["drawn"] == [len(DAYS)] * len(TENANTS)
    for name, costs in zip(daily["names"], daily["y"], strict=True):
        assert costs == pytest.approx(_daily_cost(name), rel=1e-9), name
    assert charts["chart-share"]["data"] == [len(TENANTS)]
    assert charts["chart-top"]["data"] == [len(TENANTS)]
