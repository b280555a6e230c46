"""`genai-cost advise` and `genai-cost report` on a crafted month in a real Prometheus (backfilled with
promtool): every kind of advice gives the dollar figure computed here by hand from the published
per-million rates, and the report's figures equal the month's crafted totals.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from genai_cost.cli import main
from tests.e2e import report_data
from tests.helpers.backfill import backfilled_prometheus, openmetrics
from tests.helpers.stack import PrometheusServer

REL = 1e-9


def _month_before_last() -> tuple[int, int]:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - 2
    return index // 12, index % 12 + 1


YEAR, MONTH = _month_before_last()
MONTH_TEXT = f"{YEAR:04d}-{MONTH:02d}"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    text = openmetrics(report_data.series(YEAR, MONTH))
    with backfilled_prometheus(tmp_path_factory.mktemp("advise") / "prom", text) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer, *args: str) -> str:
    code = main([*args, "--prometheus", prometheus.url, "--month", MONTH_TEXT])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture(scope="module")
def advice(prometheus: PrometheusServer) -> dict[str, dict]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["advise", "--prometheus", prometheus.url, "--month", MONTH_TEXT, "--format", "json"]) == 0
    doc = json.loads(buffer.getvalue())
    return {(a["kind"], a["labels"].get("gen_ai_request_model")): a for a in doc["advice"]}


def test_model_switch(advice: dict) -> None:
    # gpt-4o: 9M uncached x $2.50 + 1M cached x $1.25 + 1M out x $10 = $33.75;
    # gpt-4o-mini: 9M x $0.15 + 1M x $0.075 + 1M x $0.60 = $2.025 (gpt-4.1-mini would be $5.30)
    item = advice[("model_switch", "gpt-4o")]
    assert item["labels"]["candidate"] == "gpt-4o-mini"
    assert item["usd"] == pytest.approx(33.75 - 2.025, rel=REL)
    # o3: 2M x $2 + 2M x $8 = $20; o4-mini: 2M x $1.10 + 2M x $4.40 = $11
    assert advice[("model_switch", "o3")]["usd"] == pytest.approx(20.0 - 11.0, rel=REL)
    assert "$33.7500 - $2.0250" in item["arithmetic"]


def test_prompt_caching(advice: dict) -> None:
    # 50% of 10M input = 5M cached, 4M more than now, each $2.50 - $1.25 cheaper per million
    assert advice[("prompt_caching", "gpt-4o")]["usd"] == pytest.approx(4e6 * (2.5 - 1.25) / 1e6, rel=REL)
    # o3: 1M more cached tokens at $2 - $0.50
    assert advice[("prompt_caching", "o3")]["usd"] == pytest.approx(1e6 * (2.0 - 0.5) / 1e6, rel=REL)


def test_batch_api(advice: dict) -> None:
    batch = advice[("batch_api", "gpt-4o")]
    assert batch["labels"]["job"] == "svc-a"
    assert batch["usd"] == pytest.approx(0.5 * 33.75, rel=REL)
    assert advice[("batch_api", "o3")]["usd"] == pytest.approx(0.5 * 20.0, rel=REL)


def test_reasoning(advice: dict) -> None:
    # 1.5M of o3's 2M output tokens are reasoning, at $8 per million: $12; half of it saved
    item = advice[("reasoning", "o3")]
    assert item["usd"] == pytest.approx(0.5 * 1.5e6 * 8 / 1e6, rel=REL)
    assert "75% of output is reasoning" in item["title"]
    assert ("reasoning", "gpt-4o") not in advice


def test_unpriced(advice: dict) -> None:
    # 400k tokens at openai's average over its priced models: ($33.75 + $20) / (11M + 4M tokens)
    item = advice[("unpriced", "my-finetune")]
    assert item["usd"] == pytest.approx(400_000 * 53.75 / 15e6, rel=REL)
    assert "40 calls not counted" in item["title"]


def test_ranked_largest_first(advice: dict) -> None:
    figures = [a["usd"] for a in advice.values()]
    assert figures == sorted(figures, reverse=True)
    assert len(advice) == 8  # switch, caching and batch for both priced models; reasoning; unpriced


def test_report_totals_equal_the_crafted_month(
    capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer
) -> None:
    doc = json.loads(run(capsys, prometheus, "report", "--format", "json"))
    groups = {g["labels"]["gen_ai_request_model"]: g for g in doc["groups"]}
    for model, truth in report_data.TOTALS.items():
        group = groups[model]
        for kind in ("input", "cache_read", "cache_write", "output", "reasoning"):
            assert group[f"{kind}_tokens"] == pytest.approx(truth[kind], rel=REL), (model, kind)
        assert group["cost_usd"] == pytest.approx(truth["cost"], rel=REL)
        assert group["cache_savings_usd"] == pytest.approx(truth["savings"], rel=REL)
        assert group["calls"] == pytest.approx(truth["calls"], rel=REL)
        assert group["errors"] == pytest.approx(truth["errors"], rel=REL)
        assert group["unpriced_calls"] == pytest.approx(truth["unpriced"], rel=REL)
    assert doc["total"]["cost_usd"] == pytest.approx(53.75, rel=REL)
    assert doc["total"]["cache_hit_rate"] == pytest.approx(1e6 / 12.3e6, rel=REL)
    assert groups["gpt-4o"]["share"] == pytest.approx(33.75 / 53.75, rel=REL)
    assert sum(d["cost_usd"] for d in doc["daily"]) == pytest.approx(53.75, rel=REL)
    assert len(doc["daily"]) == len(report_data_days())


def report_data_days() -> list[int]:
    start, end = report_data.month_bounds(YEAR, MONTH)
    return list(range(start, end, 86400))


def test_advise_markdown_and_table(
    capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer, advice: dict
) -> None:
    usd = f"${advice[('model_switch', 'gpt-4o')]['usd']:,.2f}"  # 31.72 or 31.73: the JSON's float, rounded
    assert usd in ("$31.72", "$31.73")
    table = run(capsys, prometheus, "advise")
    assert table.splitlines()[2] == f"1. [model_switch] gpt-4o -> gpt-4o-mini (openai): {usd}"
    markdown = run(capsys, prometheus, "advise", "--format", "markdown")
    assert f"1. **gpt-4o -> gpt-4o-mini (openai)**: {usd} (model_switch)" in markdown


def test_candidates_file_overrides_the_list(
    capsys: pytest.CaptureFixture[str], prometheus: PrometheusServer, tmp_path: Path
) -> None:
    path = tmp_path / "candidates.json"
    path.write_text(json.dumps({"openai": {"gpt-4o": ["gpt-4.1-mini"]}}), encoding="utf-8")
    doc = json.loads(run(capsys, prometheus, "advise", "--format", "json", "--candidates", str(path)))
    switch = next(
        a for a in doc["advice"] if a["kind"] == "model_switch" and a["labels"]["gen_ai_request_model"] == "gpt-4o"
    )
    assert switch["labels"]["candidate"] == "gpt-4.1-mini"
    assert switch["usd"] == pytest.approx(33.75 - 5.3, rel=REL)
