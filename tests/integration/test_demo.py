"""`genai-cost demo` end to end, as a user runs it: a subprocess, its table, its live endpoint."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass

import pytest

DEMO = [sys.executable, "-m", "genai_cost", "demo", "--port", "0"]
ENDPOINT_PREFIX = "metrics endpoint: "


@dataclass
class TableRow:
    provider: str
    model: str
    calls: int
    input: int
    cached: int
    output: int
    cost: float  # 0.0 for "-" (unpriced)
    savings: float
    unpriced: int


def _row(line: str) -> TableRow:
    cells = line.split()
    if cells[0] == "TOTAL":
        cells.insert(1, "")
    provider, model, calls, input_, cached, output, _hit, cost, savings, unpriced = cells
    return TableRow(
        provider, model, int(calls), int(input_), int(cached), int(output),
        0.0 if cost == "-" else float(cost), 0.0 if savings == "-" else float(savings), int(unpriced),
    )


def parse_table(stdout: str) -> tuple[list[TableRow], TableRow]:
    """The rows between the two rules under the header, and the total row after them."""
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("provider "))
    rules = [i for i in range(header + 1, len(lines)) if lines[i] and set(lines[i]) == {"-"}][:2]
    assert len(rules) == 2, stdout
    rows = [_row(line) for line in lines[rules[0] + 1 : rules[1]]]
    return rows, _row(lines[rules[1] + 1])


@pytest.fixture(scope="module")
def demo_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(DEMO, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def table(demo_run: subprocess.CompletedProcess[str]) -> tuple[dict[tuple[str, str], TableRow], TableRow]:
    assert demo_run.returncode == 0, demo_run.stderr
    rows, total = parse_table(demo_run.stdout)
    return {(row.provider, row.model): row for row in rows}, total


def test_demo_exits_zero_and_reports_progress(demo_run: subprocess.CompletedProcess[str]) -> None:
    assert demo_run.returncode == 0, demo_run.stderr
    assert "FAILED" not in demo_run.stderr
    assert "chat stream gpt-4o-mini" in demo_run.stderr
    assert ENDPOINT_PREFIX in demo_run.stdout
    assert "cross-check: " in demo_run.stdout and ": match" in demo_run.stdout


def test_table_lists_providers_and_models(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    assert ("openai", "gpt-4o-mini") in rows
    assert any(provider == "x_ai" and model.startswith("grok") for provider, model in rows)
    assert any(provider == "openrouter" and model.startswith("anthropic/") for provider, model in rows)
    for model in ("gpt-4.1", "gpt-5", "o3-mini", "text-embedding-3-small", "acme-internal-7b", "mock-error-429"):
        assert ("openai", model) in rows, model


def test_total_cost_is_positive_and_the_sum_of_rows(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, total = table
    assert total.cost > 0
    # Each printed cost is rounded to 6 decimals: allow half a unit of rounding per row.
    assert total.cost == pytest.approx(sum(row.cost for row in rows.values()), abs=0.5e-6 * (len(rows) + 1))
    assert total.calls == sum(row.calls for row in rows.values())
    assert total.input == sum(row.input for row in rows.values())
    assert total.unpriced == sum(row.unpriced for row in rows.values())


def test_unknown_model_is_unpriced_not_free(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    unknown = rows[("openai", "acme-internal-7b")]
    assert unknown.calls == 1
    assert unknown.unpriced == 1
    assert unknown.cost == 0.0


def test_repeated_prompt_gets_cached_tokens(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    mini = rows[("openai", "gpt-4o-mini")]
    assert mini.calls == 5
    assert 0 < mini.cached < mini.input
    assert mini.savings > 0


def test_error_call_is_counted(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    error = rows[("openai", "mock-error-429")]
    assert error.calls == 1
    assert error.input == error.output == 0


def _lines(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for_endpoint(lines: queue.Queue[str], timeout: float = 120) -> str:
    while True:
        line = lines.get(timeout=timeout)
        if line.startswith(ENDPOINT_PREFIX):
            return line[len(ENDPOINT_PREFIX):].strip()


def test_serve_keeps_the_endpoint_up_until_sigterm() -> None:
    proc = subprocess.Popen(
        [*DEMO, "--serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        url = _wait_for_endpoint(_lines(proc.stdout))
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8")
        assert "gen_ai_client_cost_usd_total" in body
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
