"""`genai-cost demo` end to end, as a user runs it: a subprocess, its table, its live endpoint."""

from __future__ import annotations

import math
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass

import pytest

from genai_cost.demo import SYSTEM_PROMPT

DEMO = [sys.executable, "-m", "genai_cost", "demo", "--port", "0"]
ENDPOINT_PREFIX = "metrics endpoint: "
M = 1_000_000
# Printed costs have 6 decimals.
PRINTED = 0.5e-6
# USD per million tokens, literals from genai-prices 0.2.3.
SONNET_4_6_IN, SONNET_4_6_CACHE_READ, SONNET_4_6_CACHE_WRITE_5M, SONNET_4_6_OUT = 3.00, 0.30, 3.75, 15.00
HAIKU_4_5_IN, HAIKU_4_5_OUT = 1.00, 5.00
FLASH_IN, FLASH_CACHED, FLASH_OUT = 0.30, 0.03, 2.50
FLASH_LITE_IN, FLASH_LITE_OUT = 0.10, 0.40
GEMINI_EMBEDDING_IN = 0.15
# aws regional.anthropic.claude-3-5-haiku-20241022-v1:0 (the us. profile), meta.llama3-1-8b-instruct-v1:0.
BEDROCK_HAIKU_3_5_IN, BEDROCK_HAIKU_3_5_CACHE_READ, BEDROCK_HAIKU_3_5_OUT = 0.8, 0.08, 4.0
BEDROCK_HAIKU_3_5_CACHE_WRITE = 1.0
BEDROCK_LLAMA_3_1_8B = 0.22  # in and out
MISTRAL_SMALL_LATEST_IN, MISTRAL_SMALL_LATEST_OUT = 0.15, 0.60  # mistral, since 2026-03-16
MISTRAL_LARGE_2512_IN, MISTRAL_LARGE_2512_OUT = 0.50, 1.50


@dataclass
class TableRow:
    provider: str
    model: str
    calls: int
    input: int
    cached: int
    written: int  # cache write
    output: int
    cost: float  # 0.0 for "-" (unpriced)
    savings: float
    unpriced: int


def _row(line: str) -> TableRow:
    cells = line.split()
    if cells[0] == "TOTAL":
        cells.insert(1, "")
    provider, model, calls, input_, cached, written, output, _hit, cost, savings, unpriced = cells
    return TableRow(
        provider,
        model,
        int(calls),
        int(input_),
        int(cached),
        int(written),
        int(output),
        0.0 if cost == "-" else float(cost),
        0.0 if savings == "-" else float(savings),
        int(unpriced),
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
    assert {provider for provider, _model in rows} == {
        "openai", "x_ai", "openrouter", "anthropic", "gcp.gemini", "aws.bedrock", "mistral_ai"
    }  # fmt: skip
    for model in ("gpt-4.1", "gpt-5", "o3-mini", "text-embedding-3-small", "acme-internal-7b", "mock-error-429"):
        assert ("openai", model) in rows, model


def test_total_cost_is_positive_and_the_sum_of_rows(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, total = table
    assert total.cost > 0
    # Each printed cost is rounded to 6 decimals: allow half a unit of rounding per row.
    assert total.cost == pytest.approx(sum(row.cost for row in rows.values()), abs=0.5e-6 * (len(rows) + 1))
    assert total.calls == sum(row.calls for row in rows.values())
    assert total.input == sum(row.input for row in rows.values())
    # Anthropic's and Bedrock's cache writes of the system prompt.
    assert total.written == sum(row.written for row in rows.values()) == 2 * SYSTEM_TOKENS
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


# The anthropic and google-genai rows, by the mock provider's token formula: a prompt is
# ceil(chars / 4) + 4 per message; the answer is 12 words, one token each, and a thinking model adds
# 24 thinking tokens. The support system prompt is a cached prefix of ceil(7209 / 4) = 1803 tokens.
SYSTEM_TOKENS = 1803


def test_system_prompt_size_behind_the_expectations() -> None:
    assert math.ceil(len(SYSTEM_PROMPT) / 4) == SYSTEM_TOKENS


def test_anthropic_cache_write_then_read(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    sonnet = rows[("anthropic", "claude-sonnet-4-6")]
    # Each call: 15 uncached input tokens besides the prefix; the first writes the prefix to the
    # 5-minute cache, the second reads it.
    expected = (2, 2 * (15 + SYSTEM_TOKENS), SYSTEM_TOKENS, SYSTEM_TOKENS, 24)
    assert (sonnet.calls, sonnet.input, sonnet.cached, sonnet.written, sonnet.output) == expected
    cost = (
        30 * SONNET_4_6_IN + SYSTEM_TOKENS * SONNET_4_6_CACHE_WRITE_5M + SYSTEM_TOKENS * SONNET_4_6_CACHE_READ
        + 24 * SONNET_4_6_OUT
    ) / M  # fmt: skip
    assert sonnet.cost == pytest.approx(cost, abs=PRINTED)
    assert sonnet.savings == pytest.approx(SYSTEM_TOKENS * (SONNET_4_6_IN - SONNET_4_6_CACHE_READ) / M, abs=PRINTED)


def test_bedrock_profile_cache_write_then_read_and_llama_stream(
    table: tuple[dict[tuple[str, str], TableRow], TableRow],
) -> None:
    rows, _total = table
    haiku = rows[("aws.bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0")]
    # Converse with the system prompt as a cache point: 15 uncached tokens a call besides the prefix.
    expected = (2, 2 * (15 + SYSTEM_TOKENS), SYSTEM_TOKENS, SYSTEM_TOKENS, 24)
    assert (haiku.calls, haiku.input, haiku.cached, haiku.written, haiku.output) == expected
    cost = (
        30 * BEDROCK_HAIKU_3_5_IN + SYSTEM_TOKENS * BEDROCK_HAIKU_3_5_CACHE_WRITE
        + SYSTEM_TOKENS * BEDROCK_HAIKU_3_5_CACHE_READ + 24 * BEDROCK_HAIKU_3_5_OUT
    ) / M  # fmt: skip
    assert haiku.cost == pytest.approx(cost, abs=PRINTED)
    savings = SYSTEM_TOKENS * (BEDROCK_HAIKU_3_5_IN - BEDROCK_HAIKU_3_5_CACHE_READ) / M
    assert haiku.savings == pytest.approx(savings, abs=PRINTED)
    llama = rows[("aws.bedrock", "meta.llama3-1-8b-instruct-v1:0")]  # a 44-character prompt: 11 tokens
    assert (llama.calls, llama.input, llama.output) == (1, 11, 12)
    assert llama.cost == pytest.approx(23 * BEDROCK_LLAMA_3_1_8B / M, abs=PRINTED)


def test_mistral_chat_and_stream(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    small, large = rows[("mistral_ai", "mistral-small-latest")], rows[("mistral_ai", "mistral-large-2512")]
    assert (small.calls, small.input, small.output) == (large.calls, large.input, large.output) == (1, 15, 12)
    assert small.cost == pytest.approx((15 * MISTRAL_SMALL_LATEST_IN + 12 * MISTRAL_SMALL_LATEST_OUT) / M, abs=PRINTED)
    assert large.cost == pytest.approx((15 * MISTRAL_LARGE_2512_IN + 12 * MISTRAL_LARGE_2512_OUT) / M, abs=PRINTED)


def test_anthropic_thinking_stream(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    haiku = rows[("anthropic", "claude-haiku-4-5")]
    assert (haiku.calls, haiku.input, haiku.cached, haiku.written, haiku.output) == (1, 15, 0, 0, 12 + 24)
    assert haiku.cost == pytest.approx((15 * HAIKU_4_5_IN + 36 * HAIKU_4_5_OUT) / M, abs=PRINTED)


def test_gemini_implicit_cache_on_the_repeat(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    flash = rows[("gcp.gemini", "gemini-2.5-flash")]
    # 1819 prompt tokens per call; the repeat reads 1792 of them (the mock reports a repeated
    # prompt's whole 128-token blocks as cached: 14 * 128); thoughts are output.
    assert (flash.calls, flash.input, flash.cached, flash.written, flash.output) == (2, 2 * 1819, 1792, 0, 72)
    cost = ((2 * 1819 - 1792) * FLASH_IN + 1792 * FLASH_CACHED + 72 * FLASH_OUT) / M
    assert flash.cost == pytest.approx(cost, abs=PRINTED)
    assert flash.savings == pytest.approx(1792 * (FLASH_IN - FLASH_CACHED) / M, abs=PRINTED)


def test_gemini_thinking_stream_and_embeddings(table: tuple[dict[tuple[str, str], TableRow], TableRow]) -> None:
    rows, _total = table
    lite = rows[("gcp.gemini", "gemini-2.5-flash-lite")]
    assert (lite.calls, lite.input, lite.output) == (1, 17, 36)
    assert lite.cost == pytest.approx((17 * FLASH_LITE_IN + 36 * FLASH_LITE_OUT) / M, abs=PRINTED)
    embedding = rows[("gcp.gemini", "gemini-embedding-001")]
    assert (embedding.calls, embedding.input, embedding.output) == (1, 133, 0)
    assert embedding.cost == pytest.approx(133 * GEMINI_EMBEDDING_IN / M, abs=PRINTED)


@pytest.mark.parametrize(
    ("provider", "unknown", "failed"),
    [("anthropic", "acme-internal-13b", "mock-error-529"), ("gcp.gemini", "acme-internal-70b", "mock-error-503")],
)
def test_unknown_models_and_errors_of_every_sdk(
    table: tuple[dict[tuple[str, str], TableRow], TableRow], provider: str, unknown: str, failed: str
) -> None:
    rows, _total = table
    row = rows[(provider, unknown)]
    assert (row.calls, row.output, row.unpriced, row.cost) == (1, 12, 1, 0.0)
    assert row.input > 0
    error = rows[(provider, failed)]
    assert (error.calls, error.input, error.output, error.unpriced, error.cost) == (1, 0, 0, 0, 0.0)


def test_demo_output_names_each_unpriced_model(demo_run: subprocess.CompletedProcess[str]) -> None:
    for provider_model in ("openai/acme-internal-7b", "anthropic/acme-internal-13b", "gcp.gemini/acme-internal-70b"):
        assert f"unpriced: {provider_model}, 1 call(s): unknown_model" in demo_run.stdout
    for expected in ("(expected RateLimitError)", "(expected OverloadedError)", "(expected ServerError)"):
        assert expected in demo_run.stderr


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
            return line[len(ENDPOINT_PREFIX) :].strip()


def test_serve_keeps_the_endpoint_up_until_sigterm() -> None:
    proc = subprocess.Popen([*DEMO, "--serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
