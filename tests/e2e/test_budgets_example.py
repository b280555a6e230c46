"""examples/budgets_app: the request's LLM cost in a response header, and a user over budget refused.

The example runs under `opentelemetry-instrument` against the mock provider, spans going to an
in-test OTLP receiver. Budgets: the example's own file shape with a tiny per-user limit, so that
alice's second request is over it. Each header must equal the sum of its request's spans.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from genai_cost.budgets.file import load
from genai_cost.mockprovider import MockProvider
from tests.e2e.conftest import REPO
from tests.helpers.instrumented import base_env, otel_env
from tests.helpers.otlp import OtlpReceiver, SpanRecord

EXAMPLE = REPO / "examples" / "budgets_app"
BUDGETS = """\
budgets:
  - {scope: user.id, key: "*", period: monthly, limit_usd: 0.00001, action: block}
"""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


@dataclass
class Run:
    replies: list[Reply]
    spans: list[SpanRecord]
    requests_before_refusal: int
    requests_after_refusal: int
    stderr: str


def ask(port: int, user: str) -> Reply:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/ask?question=why", headers={"X-User-Id": user})
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:  # noqa: S310 - loopback
            return Reply(reply.status, {k.lower(): v for k, v in reply.headers.items()}, json.loads(reply.read()))
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read()))


@pytest.fixture(scope="module")
def run(
    otlp_receiver: OtlpReceiver,
    mock_openai: MockProvider,
    prometheus_port: int,
    run_instrumented: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Run:
    budgets = Path(tmp_path_factory.mktemp("budgets")) / "budgets.yaml"
    budgets.write_text(BUDGETS, encoding="utf-8")
    env = base_env(
        **otel_env("budgets-example", otlp_receiver.traces_url, prometheus_port),
        GENAI_COST_PROVIDER_MAP=f"127.0.0.1:{mock_openai.port}=openai",
        GENAI_COST_BUDGETS_FILE=str(budgets),
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=mock_openai.base_url,
    )
    app = run_instrumented(EXAMPLE / "app.py", env)
    try:
        port = int(app.wait_for_line(lambda line: line.startswith("LISTENING "), timeout=30).split()[1])
        replies = [ask(port, "alice"), ask(port, "bob")]
        before = len(mock_openai.requests)
        replies.append(ask(port, "alice"))  # over her budget now
        after = len(mock_openai.requests)
        spans = otlp_receiver.wait_for_spans(lambda found: sum(s.scope_name == "genai_cost" for s in found) >= 5, 10)
    finally:
        app.kill()
    ours = sorted((s for s in spans if s.scope_name == "genai_cost"), key=lambda s: s.end_time_unix_nano)
    return Run(replies, ours, before, after, app.stderr_text)


def test_each_request_gets_its_cost_in_a_header_equal_to_its_spans(run: Run) -> None:
    for reply in run.replies[:2]:
        assert reply.status == 200, reply
        assert reply.headers["x-llm-calls"] == "2" and reply.headers["x-llm-unpriced-calls"] == "0"
        user = "alice" if reply is run.replies[0] else "bob"
        spans = [s for s in run.spans if s.attributes.get("user.id") == user and "error.type" not in s.attributes]
        assert len(spans) == 2 and spans[1].attributes["gen_ai.request.stream"] is True
        cost = 0.0
        for span in spans:
            cost += span.attributes["gen_ai.usage.cost"]
        assert float(reply.headers["x-llm-cost-usd"]) == cost > 0
        assert reply.body["input_tokens"] == sum(s.attributes["gen_ai.usage.input_tokens"] for s in spans)


def test_a_user_over_budget_is_refused_and_nothing_is_sent(run: Run) -> None:
    refused = run.replies[2]
    assert refused.status == 429 and refused.body["error"] == "budget exceeded"
    assert refused.body["limit_usd"] == 0.00001 and refused.body["spent_usd"] > 0.00001
    assert run.requests_after_refusal == run.requests_before_refusal
    blocked = [s for s in run.spans if s.attributes.get("error.type") == "genai_cost.BudgetExceeded"]
    assert len(blocked) == 1 and blocked[0].attributes["user.id"] == "alice"
    assert "Traceback" not in run.stderr, run.stderr


def test_the_shipped_budgets_file_is_valid() -> None:
    budgets = load(str(EXAMPLE / "budgets.yaml"))
    assert [(b.scope, b.period, b.limit_usd, b.action) for b in budgets] == [
        ("user.id", "monthly", 1.0, "block"),
        ("global", "daily", 20.0, "warn"),
    ]
