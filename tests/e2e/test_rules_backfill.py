"""The recording rules on a synthetic fleet backfilled into a real Prometheus with promtool.

A small fleet (tests/helpers/fleet.py: restarts, label sets starting and stopping mid-period) runs
from 30 January to 1 February 12:00 UTC, so windows cross a UTC midnight and a month end. Its raw
series are backfilled with `promtool tsdb create-blocks-from openmetrics`, then every shipped
recording rule with `promtool tsdb create-blocks-from rules`, level by level. Then:

- promtool backfilled every rule, and each backfilled value equals the rule's expression evaluated
  live (an instant query at that time, on the same data) to 1e-9;
- the panels' answers from the rules equal the truth (the fleet's own increases, exact: amounts
  are sums of tiles with no extrapolation) to 1e-9 relative, or, for the panels that read
  histograms and the response-model split (increase() over 5 minutes, as the raw panels' rate()),
  the same question asked of the raw series to 1e-9 relative;
- range queries across midnight give the same answers as instant queries at each step.
"""

from __future__ import annotations

import calendar
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.grafana_queries import queries, variables

from tests.helpers import fleet
from tests.helpers.alerting import BUDGETS, REPO, RULE_FILES
from tests.helpers.backfill import backfill_raw, backfill_rules, rule_levels
from tests.helpers.stack import PrometheusServer

START = calendar.timegm((2026, 1, 30, 0, 0, 0))
SPEC = fleet.preset("small", start=START, days=2.5, services=2, tenants=4)
MIDNIGHT = calendar.timegm((2026, 2, 1, 0, 0, 0))  # also the month's end
DAY = 86400
RULES = [rule for level in rule_levels(RULE_FILES) for rule in level]
REL = 1e-9


def _same_series(rule: dict) -> list[dict]:
    """The rules whose series `rule`'s selector matches: its record name, at least its labels (itself included)."""
    labels = (rule.get("labels") or {}).items()
    return [r for r in RULES if r["record"] == rule["record"] and labels <= (r.get("labels") or {}).items()]


class Backfilled:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.fleet = fleet.Fleet(SPEC)
        self.outputs: list[str] = []

    def prometheus(self) -> PrometheusServer:
        return PrometheusServer(self.workdir, {}, extra_args=["--storage.tsdb.retention.time=10y"])


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Backfilled, PrometheusServer]]:
    state = Backfilled(tmp_path_factory.mktemp("backfill"))
    data = state.workdir / "data"
    backfill_raw(state.fleet, data, state.workdir)
    state.outputs = backfill_rules(state.prometheus, [*RULE_FILES, BUDGETS], START, state.fleet.end, data)
    with state.prometheus() as prom:
        yield state, prom


def _series(result: list[dict[str, Any]]) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for item in result:
        labels = tuple(sorted((k, v) for k, v in item["metric"].items() if k != "__name__"))
        assert labels not in out, f"two series with {labels}"
        out[labels] = float(item["value"][1])
    return out


def _close(got: dict, want: dict, rel: float = REL, what: str = "") -> None:
    """Equal per label set; a label set missing on one side counts as 0 (a series of zeros, such as
    the current tile at a 5-minute boundary, is the same answer as none)."""
    assert got or not want, f"{what}: no series, want {want}"
    for key in set(got) | set(want):
        assert got.get(key, 0.0) == pytest.approx(want.get(key, 0.0), rel=rel, abs=1e-9), (what, key, got, want)


# --- promtool backfills every rule, equal to live evaluation ------------------------------------------
def test_promtool_backfilled_every_recording_rule(backfilled: tuple[Backfilled, PrometheusServer]) -> None:
    state, prom = backfilled
    assert len(state.outputs) == len(rule_levels([*RULE_FILES, BUDGETS])) >= 3
    names = {rule["record"] for rule in RULES}
    assert {r["record"] for r in RULES} >= {"genai_cost:cost_usd:today", "genai_cost:cost_usd:month_to_date"}
    found = {name for name in names if prom.query(f"count(last_over_time({name}[3d]))", at=state.fleet.end)}
    assert found == names, f"not backfilled: {sorted(names - found)}"


TIMES = [MIDNIGHT - DAY + 300 * 7, MIDNIGHT - 300, MIDNIGHT + 300, MIDNIGHT + 3600 * 6 + 900]


def _stamp(prom: PrometheusServer, name: str, at: int) -> float:
    """When the recorded series ``name`` read at ``at`` was evaluated (rules run at their group's phase)."""
    (sample,) = prom.query(f"max(timestamp({name}))", at=at)
    return float(sample["value"][1])


@pytest.mark.parametrize(
    "rule", RULES, ids=lambda r: r["record"] + "".join(f",{v}" for v in (r.get("labels") or {}).values())
)
def test_backfilled_values_equal_live_evaluation(backfilled: tuple[Backfilled, PrometheusServer], rule: dict) -> None:
    """At the times promtool evaluated the rule, its stored value is what the rule's expression gives."""
    _, prom = backfilled
    labels = rule.get("labels") or {}
    selector = rule["record"] + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
    for at in TIMES:
        if not prom.query(selector, at=at):  # nothing recorded then (no completed day this month yet)
            assert not prom.query(rule["expr"], at=at), f"{selector} at {at}: none backfilled"
            continue
        stamp = _stamp(prom, selector, at)
        assert at - 300 < stamp <= at
        stored = _series(prom.query(selector, at=stamp))
        # Every rule recording a series the selector matches adds to it (an own budget and a scope's
        # default are two rules of one series name): the stored series are what all of them give.
        live = {
            tuple(sorted({**dict(k), **(same.get("labels") or {})}.items())): v
            for same in _same_series(rule)
            for k, v in _series(prom.query(same["expr"], at=stamp)).items()
        }
        assert set(stored) == set(live), selector
        _close(stored, live, what=f"{selector} at {stamp}")


# --- panels: rules against the truth and against the raw series ---------------------------------------
AT = [MIDNIGHT - 300, MIDNIGHT, MIDNIGHT + 300, MIDNIGHT + 7 * 3600]
PHASE = 60  # rules run once a minute, at their group's phase: a period's ends move by less than this
TRUTH_CHECKS = [
    # (panel question asked of the rules, counter, period: "today", "month", or its length in seconds, by)
    ("sum by (job) (genai_cost:cost_usd:today)", "gen_ai_client_cost_usd_total", "today", ("job",)),
    ("sum by (tenant_id) (genai_cost:cost_usd:increase1d)", "gen_ai_client_cost_usd_total", DAY, ("tenant_id",)),
    ("sum by (gen_ai_request_model) (genai_cost:cost_usd:month_to_date)", "gen_ai_client_cost_usd_total", "month",
     ("gen_ai_request_model",)),
    ("sum by (budget_key) (genai_cost:scope_cost_usd:month_to_date{budget_scope=\"team\"})",
     "gen_ai_client_cost_usd_total", "month", ("team",)),
    ('sum by (job) (genai_cost:panel_cost_usd:increase5m{genai_cost_level="service"})',
     "gen_ai_client_cost_usd_total", 300, ("job",)),
    ('sum by (gen_ai_request_model) (genai_cost:panel_cost_usd:increase5m{genai_cost_level="service_provider_model"})',
     "gen_ai_client_cost_usd_total", 300, ("gen_ai_request_model",)),
    ('sum(genai_cost:panel_cost_usd:increase5m{genai_cost_level="fleet"})', "gen_ai_client_cost_usd_total", 300, ()),
    ('sum by (gen_ai_token_type) (genai_cost:panel_tokens:increase1h{genai_cost_level="fleet"})',
     "gen_ai_client_tokens_total", 3600, ("gen_ai_token_type",)),
    ('sum by (gen_ai_request_model) (genai_cost:panel_savings_usd:increase1h{genai_cost_level="provider_model"})',
     "gen_ai_client_cost_savings_usd_total", 3600, ("gen_ai_request_model",)),
    ("sum by (job) (genai_cost:savings_usd:increase1d)", "gen_ai_client_cost_savings_usd_total", DAY, ("job",)),
    ("sum by (gen_ai_request_model, genai_cost_unpriced_reason) ("
     'genai_cost:panel_unpriced_calls:increase1h{genai_cost_level="provider_model"})',
     "gen_ai_client_unpriced_total", 3600, ("gen_ai_request_model", "genai_cost_unpriced_reason")),
]  # fmt: skip


def _period(period: str | int, stamp: float) -> int:
    if period == "today":
        return int(stamp - stamp % DAY)
    if period == "month":
        return max(calendar.timegm((*time.gmtime(stamp)[:2], 1, 0, 0, 0)), START)
    tile_end = int(stamp - stamp % 300)
    return tile_end - int(period)


@pytest.mark.parametrize("at", AT)
@pytest.mark.parametrize(("expr", "counter", "period", "by"), TRUTH_CHECKS, ids=[c[0][:50] for c in TRUTH_CHECKS])
def test_spend_and_token_panels_equal_the_truth(
    backfilled: tuple[Backfilled, PrometheusServer], expr: str, counter: str, period: str | int,
    by: tuple[str, ...], at: int,
) -> None:  # fmt: skip
    """The answer equals the fleet's true increase over the period, to 1e-9 relative plus what was
    spent within a minute of the period's ends (the evaluation phase moves them by less) and, for
    the month, within 6 minutes of each midnight in it (its completed days are the 24-hour spends
    read at each midnight from the calendar group, evaluated every 5 minutes at its own phase)."""
    state, prom = backfilled
    name = re.search(r"genai_cost:\w+:\w+", expr).group(0)
    stamp = _stamp(prom, name, at)
    # A panel series copies its source's last value (another group, at another phase): the period
    # is the source's, read when it was evaluated.
    sources = [s.source for s in PANELS.ALL if s.name == name and re.fullmatch(r"genai_cost:\w+:\w+", s.source)]
    for source in sources:
        stamp = _stamp(prom, source, stamp)
    start, end = _period(period, stamp), int(stamp)
    want = _truth(state, counter, start, end, by)
    slack: dict = {}
    edges = [(start, PHASE), (end - end % 300, PHASE), (end, PHASE)]
    if period == "month":  # completed days are read from the calendar group, at its own 5-minute phase
        edges += [(day, 300 + PHASE) for day in range(start - start % DAY + DAY, end, DAY)]
    for edge, width in edges:
        for key, value in _truth(state, counter, edge - width, edge + width, by).items():
            slack[key] = slack.get(key, 0.0) + value
    got = _by(prom, expr, at)
    if "budget_key" in expr:
        got = {(("team", dict(k)["budget_key"]),): v for k, v in got.items()}
    assert got or not want, f"{expr} at {at}: no series"
    for key in set(got) | set(want):
        diff = abs(got.get(key, 0.0) - want.get(key, 0.0))
        assert diff <= slack.get(key, 0.0) + REL * abs(want.get(key, 0.0)) + 1e-9, (expr, at, key, got, want)


def _truth(state: Backfilled, name: str, start: int, end: int, by: tuple[str, ...]) -> dict:
    return fleet.total(state.fleet.truth(name, start, end), by)


def _by(prom: PrometheusServer, expr: str, at: float) -> dict:
    return _series(prom.query(expr, at=at))


def _panel_series():  # grafana/panel_series.py: beside grafana/generate.py, which imports it as a sibling
    sys.path.insert(0, str(REPO / "grafana"))
    import panel_series

    return panel_series


PANELS = _panel_series()
LEVELS = [(series, level) for series in PANELS.ALL for level in series.levels()]


@pytest.mark.parametrize(("series", "level"), LEVELS, ids=[f"{s.name}-{PANELS.level_name(lv)}" for s, lv in LEVELS])
def test_every_level_of_a_panel_series_equals_what_it_sums(
    backfilled: tuple[Backfilled, PrometheusServer], series: Any, level: tuple[str, ...]
) -> None:
    """Each level holds the amounts of its source (the raw histograms and counters, or the tiles of the
    base rules) summed by the labels it keeps, and only those labels."""
    _, prom = backfilled
    by = ", ".join((*level, *series.keep))
    selector = f'{series.name}{{{PANELS.LEVEL}="{PANELS.level_name(level)}"}}'
    for at in AT:
        stamp = _stamp(prom, series.name, at)
        stored = prom.query(selector, at=stamp)
        for labels in (set(s["metric"]) for s in stored):  # a keep label may be absent (error_type: none)
            assert {"__name__", PANELS.LEVEL, *level} <= labels <= {"__name__", PANELS.LEVEL, *level, *series.keep}
        _close(_by(prom, f"sum by ({by}) ({selector})", stamp), _by(prom, f"sum by ({by}) ({series.source})", stamp),
               what=f"{selector} at {at}")  # fmt: skip


_SOURCE_SELECTOR = re.compile(r"(gen_ai_client_\w+|genai_cost:\w+:\w+)(?:\{([^}]*)\})?")
_LEVEL_MATCHER = re.compile(rf'({"|".join(PANELS.FINEST)})(!=""|!~"[^"]*")')


def unrolled(expr: str) -> str:
    """A panel's query asked of what its panel series sum, filtered with plain matchers: each
    ``genai_cost:panel_*{...}`` becomes its source with the same ``=~`` and other matchers."""

    def source(match: re.Match[str]) -> str:
        series = next(s for s in PANELS.ALL if s.name == match.group(1))
        matchers = ", ".join(m for m in match.group(2).split(", ") if not _LEVEL_MATCHER.fullmatch(m))

        def filtered(selector: re.Match[str]) -> str:
            return f"{selector.group(1)}{{{', '.join(filter(None, [selector.group(2), matchers]))}}}"

        by = ", ".join((*PANELS.FINEST, *series.keep))
        return f"sum by ({by}) ({_SOURCE_SELECTOR.sub(filtered, series.source)})"

    return re.sub(r"(genai_cost:panel_\w+:\w+)\{([^}]*)\}", source, expr)


def _scenarios(prom: PrometheusServer, stamp: float, multi_model: bool) -> list[dict[str, str]]:
    """Variable values as a user sets them: All, one or two values of each, and combinations."""
    finest = prom.query('genai_cost:panel_cost_usd:increase5m{genai_cost_level="service_provider_model"}', at=stamp)
    (job, provider, model), *others = sorted(
        (s["metric"]["job"], s["metric"]["gen_ai_provider_name"], s["metric"]["gen_ai_request_model"]) for s in finest
    )
    second = next(m for _, _, m in others if m != model)
    every = {"service": ".*", "provider": ".*", "model": ".*"}
    one = {"model": model} if not multi_model else {}
    out = [every | one, every | one | {"service": job}, every | one | {"provider": provider},
           every | {"service": job, "provider": provider, "model": model}]  # fmt: skip
    if multi_model:
        out += [every | {"model": model}, every | {"model": f"({model}|{second})"},
                every | {"service": job, "model": model}, every | {"service": f"({job}|{others[-1][0]})"}]  # fmt: skip
    return out


@pytest.mark.parametrize("dashboard", sorted((REPO / "grafana" / "dashboards").glob("*.json")), ids=lambda p: p.stem)
def test_every_panel_equals_the_question_asked_of_the_raw_series(
    backfilled: tuple[Backfilled, PrometheusServer], dashboard: Path
) -> None:
    """Every panel query, with the variables set to All, one value, two values and combinations,
    answers what the same query asked of the raw histograms and counters (or the base rules' tiles),
    filtered by plain matchers, answers: to 1e-9 relative, at the panel series' evaluation times."""
    _, prom = backfilled
    spec = json.loads(dashboard.read_text())
    multi_model = next(v for v in spec["templating"]["list"] if v["name"] == "model").get("multi", False)
    checked = 0
    for at in AT:
        stamp = _stamp(prom, PANELS.COST.name, at)
        for values in _scenarios(prom, stamp, multi_model):
            for q in queries(dashboard, int(stamp) - 3600, int(stamp), values | {"label": "team"}):
                if "genai_cost:panel_" not in q.expr:
                    continue
                want = _by(prom, unrolled(q.expr), stamp)
                _close(_by(prom, q.expr, stamp), want, what=f"{q.name} with {values} at {at}")
                checked += bool(want)
    assert checked >= 30, checked


def test_range_queries_across_midnight_equal_instant_ones(backfilled: tuple[Backfilled, PrometheusServer]) -> None:
    """The rules' expressions (not only their backfilled results) as a range query over midnight."""
    _, prom = backfilled
    exprs = [
        r["expr"]
        for r in RULES
        if r["record"]
        in ("genai_cost:cost_usd:today_tiles", "genai_cost:cost_usd:days_this_month", "genai_cost:cost_usd:increase1d")
    ]
    start, end = MIDNIGHT - 1800, MIDNIGHT + 1800
    for expr in exprs:
        ranged = prom.query_range(expr, start, end, "5m")
        for t in range(start, end + 1, 300):
            at_t = {tuple(sorted(s["metric"].items())): float(v) for s in ranged for ts, v in s["values"] if ts == t}
            _close(at_t, _series(prom.query(expr, at=t)), what=f"{expr[:60]} at {t}")


@pytest.mark.parametrize("dashboard", sorted((REPO / "grafana" / "dashboards").glob("*.json")), ids=lambda p: p.stem)
def test_every_panel_answers_on_the_backfilled_fleet(backfilled: tuple[Backfilled, PrometheusServer], dashboard: Path
                                                     ) -> None:  # fmt: skip
    """Each panel query as Grafana sends it on load (variables: All, or the first model) for the last
    24 hours of the fleet returns series."""
    state, prom = backfilled
    end = state.fleet.end

    def label_values(selector: str, label: str) -> list[str]:
        return sorted(prom.api(f"label/{label}/values", **{"match[]": selector}))

    values = variables(json.loads(dashboard.read_text()), label_values)
    assert values["model"], "no model to choose"
    for q in queries(dashboard, end - DAY, end, values):
        result = prom.query(q.expr, at=end) if q.instant else prom.query_range(q.expr, q.start, q.end, str(q.step))
        assert result, f"{q.name}: no series for {q.expr}"
