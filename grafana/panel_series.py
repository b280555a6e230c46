"""The series the dashboards draw, recorded at every level a panel can ask for, and how a panel picks one.

Every graph filters by three variables: service (the Prometheus ``job``), provider and model. Summing
the series of every (job, provider, model) at each step of a week-long graph is what makes a fleet's
overview slow: with every model selected, the latency panel alone summed 900 bucket series at 1,008
steps. So each panel series is recorded at several *levels* under one name. A level is the set of
those three labels it keeps; the others are summed away and absent from its series:

    genai_cost:panel_cost_usd:increase5m{job="chat", gen_ai_provider_name="openai", gen_ai_request_model="gpt-4o"}
    genai_cost:panel_cost_usd:increase5m{gen_ai_request_model="gpt-4o"}      # every job and provider
    genai_cost:panel_cost_usd:increase5m{}                                    # the whole fleet

A panel reads exactly one level, chosen by its matchers from the variables' values (All is ``.*``):

- a label the panel groups by: ``label=~"$var", label!=""``: present, and one of the chosen values;
- any other label: ``label=~"$var", label!~"$var.+"``. For All that is ``=~".*", !~".*.+"``: the
  label must be absent (the level that summed it away); for chosen values ``(a|b)`` it must be one
  of them (``!~"(a|b).+"`` excludes nothing ``=~"(a|b)"`` keeps).

So never sum a panel series without these matchers: every level holds the same amounts.

A series whose panels always have a model (the overview groups them by model, the drill-down has one
model) is recorded at two levels only, with and without ``job``; its provider is kept, and filtered
with a plain ``=~``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

JOB, PROVIDER, MODEL = "job", "gen_ai_provider_name", "gen_ai_request_model"
# Dashboard variable -> the label it filters.
VARIABLES = {JOB: "service", PROVIDER: "provider", MODEL: "model"}
FINEST = (JOB, PROVIDER, MODEL)
LEVEL = "genai_cost_level"
UNKNOWN = "unknown"  # the provider or model of a series that names none


def level_name(level: tuple[str, ...]) -> str:
    """``service_provider_model`` ... ``fleet``: the variables' names of the labels a level keeps."""
    return "_".join(VARIABLES[label] for label in level) or "fleet"


@dataclass(frozen=True)
class PanelSeries:
    """One panel series: its name, what its finest level sums, the labels every level keeps besides
    (job, provider, model), and which of those three a level may sum away."""

    name: str
    source: str
    keep: tuple[str, ...] = ()
    collapsible: tuple[str, ...] = FINEST

    def levels(self) -> Iterator[tuple[str, ...]]:
        """The levels recorded, finest first: every subset of the collapsible labels summed away."""
        for size in range(len(self.collapsible) + 1):
            for gone in combinations(self.collapsible, size):
                yield tuple(label for label in FINEST if label not in gone)

    def rules(self) -> list[dict[str, str]]:
        """The recording rules: the finest level from the source, every other level from the finest
        (Prometheus evaluates a group's rules in order, so the finest is there when they run)."""
        finest, *coarser = self.levels()
        out = [self._rule(finest, named(self.source))]
        out += [self._rule(level, f'{self.name}{{{LEVEL}="{level_name(finest)}"}}') for level in coarser]
        return out

    def _rule(self, level: tuple[str, ...], source: str) -> dict:
        # The static label names the level: the rules of one name differ by it (promtool's lint).
        return {
            "record": self.name,
            "expr": f"sum by ({', '.join((*level, *self.keep))}) ({source})",
            "labels": {LEVEL: level_name(level)},
        }

    def select(self, by: tuple[str, ...] = (), extra: str = "") -> str:
        """This series at the one level the dashboard variables pick, for a panel grouping by ``by``."""
        matchers = []
        for label in FINEST:
            value = "$" + VARIABLES[label]
            if label in by:
                matchers.append(f'{label}=~"{value}", {label}!=""')
            elif label in self.collapsible:
                matchers.append(f'{label}=~"{value}", {label}!~"{value}.+"')
            else:
                matchers.append(f'{label}=~"{value}"')
        return f"{self.name}{{{', '.join([*matchers, *([extra] if extra else [])])}}}"


def named(source: str) -> str:
    """``source`` with an empty provider or model named ``unknown``: a finest-level series without
    one of them would otherwise look like a coarser level, and be counted twice."""
    for label in (PROVIDER, MODEL):
        source = f'label_replace({source}, "{label}", "{UNKNOWN}", "{label}", "")'
    return source


def _model_levels(name: str, source: str, keep: tuple[str, ...] = ()) -> PanelSeries:
    return PanelSeries(name, source, keep, collapsible=(JOB,))


COST = PanelSeries("genai_cost:panel_cost_usd:increase5m", "genai_cost:cost_usd:increase5m")
TOKENS = PanelSeries("genai_cost:panel_tokens:increase1h", "genai_cost:tokens:increase1h", ("gen_ai_token_type",))
DURATION_BUCKETS = PanelSeries(
    "genai_cost:panel_operation_duration_seconds_bucket:increase5m",
    "increase(gen_ai_client_operation_duration_seconds_bucket[5m])",
    ("le",),
)
CALLS = _model_levels(
    "genai_cost:panel_calls:increase5m", "increase(gen_ai_client_operation_duration_seconds_count[5m])"
)
# Failed calls (error_type set), 0 where every call succeeded: the error rate is one division.
FAILED_CALLS = _model_levels(
    "genai_cost:panel_failed_calls:increase5m",
    'increase(gen_ai_client_operation_duration_seconds_count{error_type!=""}[5m])'
    " or 0 * increase(gen_ai_client_operation_duration_seconds_count[5m])",
)
SAVINGS = _model_levels("genai_cost:panel_savings_usd:increase1h", "genai_cost:savings_usd:increase1h")
UNPRICED = _model_levels(
    "genai_cost:panel_unpriced_calls:increase1h",
    "genai_cost:unpriced_calls:increase1h",
    ("genai_cost_unpriced_reason",),
)
RESPONSE_MODEL_COST = _model_levels(
    "genai_cost:panel_response_model_cost_usd:increase5m",
    "increase(gen_ai_client_cost_usd_total[5m])",
    ("gen_ai_response_model",),
)
TOKEN_USAGE_BUCKETS = _model_levels(
    "genai_cost:panel_token_usage_bucket:increase5m",
    "increase(gen_ai_client_token_usage_bucket[5m])",
    ("gen_ai_token_type", "le"),
)
ALL = (COST, RESPONSE_MODEL_COST, SAVINGS, TOKENS, UNPRICED, CALLS, FAILED_CALLS, DURATION_BUCKETS, TOKEN_USAGE_BUCKETS)

GROUP = "genai-cost-panels"
HEADER = """\
# Generated by grafana/generate.py from grafana/panel_series.py: edit those, then run it.
#
# What the dashboards draw, recorded every 5 minutes at every level a panel can ask for: a level
# keeps some of (job, gen_ai_provider_name, gen_ai_request_model) and sums the others away, which are
# then absent from its series. A panel picks one level with its matchers (grafana/panel_series.py),
# so a graph of the whole fleet reads one series per line instead of one per service and model.
# Every level holds the same amounts: never sum a panel series over its levels.
# Histograms and the response-model split use increase() over 5 minutes, as rate() over the raw
# series would; the amounts sum the exact 5-minute and 1-hour tiles of genai-cost.rules.yml.
"""


def rules_file() -> dict:
    return {"groups": [{"name": GROUP, "interval": "5m", "rules": [r for s in ALL for r in s.rules()]}]}
