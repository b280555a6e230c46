"""`genai-cost prices show|check` and `genai-cost cost`: output, exit codes and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genai_cost import config
from genai_cost.cli import build_parser, main
from genai_cost.providers import KNOWN_PROVIDERS
from tests.conftest import set_env

M = 1_000_000
PRICES = """\
models:
  - name: llama-on-prem
    provider: vllm
    match: llama-3.3-70b
    prices: {input: 0, output: 0}
  - name: prod-deployment
    provider: azure.ai.openai
    match: prod-gpt4o
    alias: gpt-4o
discounts:
  - name: azure-commit
    provider: azure.ai.openai
    multiplier: 0.8
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    return path


# --- prices show -------------------------------------------------------------------------------


def test_show_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "prices", "show", "gpt-4o-mini", "--provider", "openai", "--at", "2026-11-01")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "model     gpt-4o-mini (provider openai, tier standard)"
    assert lines[1] == "entry     openai/gpt-4o-mini"
    assert lines[2].startswith("source    bundled (genai-prices 0.2.")
    assert lines[3] == (
        "date      prices at 2026-11-01T00:00:00Z; the same from 2026-11-01T00:00:00Z until 2026-11-02T00:00:00Z"
    )
    rows = {line[:24].strip(): line[24:].split() for line in lines[5:]}
    assert rows["input"] == ["0.15"] and rows["cached input"] == ["0.075"] and rows["output"] == ["0.6"]


def test_show_long_context_bands(capsys: pytest.CaptureFixture[str]) -> None:
    info = run_json(capsys, "prices", "show", "claude-sonnet-4-5", "--provider", "anthropic", "--at", "2026-01-15")
    low, high = info["bands"]
    assert (low["band"], high["band"]) == ("input <= 200,000", "input > 200,000")
    for unit, base, above in [
        ("input", 3, 6), ("cached input", 0.3, 0.6), ("cache write 5m", 3.75, 7.5),
        ("cache write 1h", 6, 12), ("output", 15, 22.5),
    ]:  # fmt: skip
        assert low[unit] == pytest.approx(base, rel=1e-9) and high[unit] == pytest.approx(above, rel=1e-9)


def test_show_guesses_the_provider_and_dates_the_price(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "prices", "show", "claude-haiku-4-5")["provider"] == "anthropic"
    before = run_json(capsys, "prices", "show", "o3", "--provider", "openai", "--at", "2025-05-01")
    after = run_json(capsys, "prices", "show", "o3", "--provider", "openai", "--at", "2025-07-01")
    assert before["since"] is None and before["bands"][0]["input"] == pytest.approx(10, rel=1e-9)
    assert after["since"] == "2025-06-10" and after["bands"][0]["input"] == pytest.approx(2, rel=1e-9)


def test_show_batch_tier_says_how_it_was_priced(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prices", "show", "claude-opus-4-1", "--provider", "anthropic", "--tier", "batch")
    assert code == 0
    assert "entry     anthropic/claude-opus-4-1 x0.5 (batch)" in out
    assert "note      no batch price in the data for this date: standard x0.5, as the provider documents" in out


def test_show_with_price_file_from_the_environment(
    capsys: pytest.CaptureFixture[str], prices_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **{config.ENV_PRICES_FILE: str(prices_file)})
    info = run_json(capsys, "prices", "show", "prod-gpt4o", "--provider", "azure.ai.openai", "--at", "2026-11-01")
    assert info["source"] == "override"
    assert info["entry"] == (
        "override:prices.yaml#prod-deployment -> azure/gpt-4o x0.8 (override:prices.yaml#azure-commit)"
    )
    assert info["bands"][0]["input"] == pytest.approx(0.8 * 2.5, rel=1e-9)
    assert info["notes"] == ["discount x0.8 from override:prices.yaml#azure-commit"]


def test_show_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "prices", "show", "acme-internal-7b", "--provider", "openai")
    assert (code, out) == (1, "")
    assert err == (
        "genai-cost prices show: no price for model 'acme-internal-7b' of provider openai: its calls are unpriced "
        "(add it to a price file, see GENAI_COST_PRICES_FILE)\n"
    )
    code, _, err = run(capsys, "prices", "show", "gpt-4o", "--provider", "opneai")
    assert code == 2
    known = ", ".join(sorted(KNOWN_PROVIDERS))
    assert err == f"genai-cost prices show: error: unknown provider 'opneai'; known: {known}\n"
    code, _, err = run(capsys, "prices", "show", "acme-internal-7b")
    assert code == 2
    assert err == (
        "genai-cost prices show: error: cannot tell the provider of model 'acme-internal-7b'; pass --provider\n"
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("models:\n  - name: a\n    match: b\n    prices: {input: 1}\n")
    code, _, err = run(capsys, "prices", "show", "gpt-4o", "--provider", "openai", "--prices-file", str(broken))
    assert code == 1
    assert err == (
        "genai-cost prices show: the price file is not usable (the app would use the bundled prices):\n"
        f"{broken}:4: models[0] (a): prices.output is required (write 0 for a free model)\n"
    )


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["prices", "show", "gpt-4o", "--at", "yesterday"])
    assert exited.value.code == 2
    assert (
        "argument --at: expected a date (2026-01-31) or a date-time (2026-01-31T12:00:00Z), got 'yesterday'"
        in capsys.readouterr().err
    )


# --- prices check ------------------------------------------------------------------------------


def test_check_good_file(capsys: pytest.CaptureFixture[str], prices_file: Path) -> None:
    assert run(capsys, "prices", "check", str(prices_file)) == (
        0,
        f"{prices_file}: OK, 2 model entries, 1 discounts\n",
        "",
    )


def test_check_bad_file_lists_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "models:\n  - name: a\n    provider: vlm\n    match: b\n    prices: {input: abc, output: 0}\n"
        "discounts:\n  - name: d\n    multiplier: 12\n"
    )
    code, out, err = run(capsys, "prices", "check", str(path))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{path}:3: models[0] (a): provider: unknown provider 'vlm'; known: {', '.join(sorted(KNOWN_PROVIDERS))}",
        f"{path}:5: models[0] (a): prices.input: expected a number >= 0 (USD per million tokens), got 'abc'",
        f"{path}:8: discounts[0] (d): multiplier: expected a number between 0 and 10, got 12",
        f"{path}: 3 problem(s); the app would use the bundled prices",
    ]


def test_check_missing_file_and_bad_alias(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "prices", "check", str(tmp_path / "none.yaml"))
    assert code == 1 and err.startswith(f"{tmp_path / 'none.yaml'}: cannot read the file: No such file or directory\n")
    path = tmp_path / "alias.json"
    path.write_text('{"models": [\n {"name": "x", "provider": "openai", "match": "x", "alias": "gpt-40"}\n]}\n')
    code, _, err = run(capsys, "prices", "check", str(path))
    assert code == 1
    assert err == f"{path}:2: x: alias 'gpt-40' has no bundled price for provider openai\n"


def test_check_as_a_user_runs_it(prices_file: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "genai_cost", "prices", "check", str(prices_file)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{prices_file}: OK, 2 model entries, 1 discounts\n"


# --- cost --------------------------------------------------------------------------------------


def test_cost_breakdown_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "cost", "--provider", "openai", "--model", "gpt-4o-mini",
        "--input", "1149", "--cached", "1024", "--output", "353", "--at", "2026-11-01",
    )  # fmt: skip
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "gpt-4o-mini (provider openai, tier standard, prices at 2026-11-01T00:00:00Z)",
        "entry openai/gpt-4o-mini (bundled)",
        "",
        "                      tokens   USD/million               USD",
        "input                    125          0.15        0.00001875",
        "cached input           1,024         0.075         0.0000768",
        "output                   353           0.6         0.0002118",
        "total                                             0.00030735",
        "cache savings                                      0.0000768",
    ]


def test_cost_json_every_kind_of_token(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(
        capsys, "cost", "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--at", "2026-11-01",
        "--input", "5000", "--cached", "1000", "--cache-write-5m", "2000", "--cache-write-1h", "1000",
        "--output", "500", "--reasoning", "200", "--web-searches", "2",
    )  # fmt: skip
    expected = (1000 * 3 + 1000 * 0.3 + 2000 * 3.75 + 1000 * 6 + 500 * 15) / M + 2 * 10 / 1000
    assert result["cost_usd"] == pytest.approx(expected, rel=1e-9)
    lines = {line["kind"]: (line["count"], line["usd"]) for line in result["lines"]}
    assert lines["input"] == (1000, pytest.approx(1000 * 3 / M, rel=1e-9))
    assert lines["cache write 1h"] == (1000, pytest.approx(1000 * 6 / M, rel=1e-9))
    assert lines["output"] == (300, pytest.approx(300 * 15 / M, rel=1e-9))
    assert lines["reasoning"] == (200, pytest.approx(200 * 15 / M, rel=1e-9))
    assert lines["web search"] == (2, pytest.approx(0.02, rel=1e-9))
    assert sum(usd for _, usd in lines.values()) == pytest.approx(result["cost_usd"], rel=1e-12)


def test_cost_batch_tier_and_price_file(capsys: pytest.CaptureFixture[str], prices_file: Path) -> None:
    batch = run_json(
        capsys, "cost", "--provider", "anthropic", "--model", "claude-sonnet-4-5", "--tier", "batch",
        "--input", "10000", "--output", "1000", "--at", "2026-11-01",
    )  # fmt: skip
    assert batch["cost_usd"] == pytest.approx((10000 * 1.5 + 1000 * 7.5) / M, rel=1e-9)
    free = run_json(
        capsys, "cost", "--provider", "vllm", "--model", "llama-3.3-70b", "--input", "9", "--output", "9",
        "--prices-file", str(prices_file),
    )  # fmt: skip
    assert (free["cost_usd"], free["source"], free["entry"]) == (0.0, "override", "override:prices.yaml#llama-on-prem")


def test_cost_errors(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["cost", "--provider", "openai", "--model", "gpt-4o-mini"]
    code, _, err = run(capsys, *base, "--input", "10", "--cached", "1024", "--output", "1")
    assert code == 2
    assert err == (
        "genai-cost cost: error: --cached (1024) + cache writes (0) + --input-audio (0) cannot exceed --input (10): "
        "--input counts all input tokens, cached and cache writes included\n"
    )
    code, _, err = run(capsys, *base, "--input", "10", "--output", "5", "--reasoning", "6")
    assert code == 2
    assert err == (
        "genai-cost cost: error: --reasoning (6) and --output-audio (0) cannot exceed --output (5): "
        "--output counts all output tokens, reasoning included\n"
    )
    code, _, err = run(capsys, "cost", "--provider", "vllm", "--model", "llama", "--input", "1")
    assert code == 1
    assert "no price for model 'llama' of provider vllm: its calls are unpriced" in err
    with pytest.raises(SystemExit) as exited:
        main([*base, "--input", "-5"])
    assert exited.value.code == 2
    assert "argument --input: expected a whole number >= 0, got '-5'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["cost", "--model", "gpt-4o"])
    assert "the following arguments are required: --provider" in capsys.readouterr().err


def test_demo_is_still_a_command() -> None:
    args = build_parser().parse_args(["demo", "--port", "0"])
    assert args.command == "demo" and args.port == 0
