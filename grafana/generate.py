"""Generate the genai-cost Grafana dashboards (grafana/dashboards/*.json) from code.

    python grafana/generate.py           # rewrite the JSON files
    python grafana/generate.py --check   # exit 1 if a committed file differs from the generator

Built with grafana-foundation-sdk 1769699379!11.6.0 (pinned in pyproject.toml's `test` extra; an
unpinned install resolves to the Grafana 10.1 build because of the version epoch), which emits
schemaVersion 41, the current schema of Grafana 11.6. Grafana 12 migrates dashboards from schema
13 up to 42 on load (42 is the last v1 schema: grafana/grafana,
apps/dashboard/pkg/migration/schemaversion/README.md); the SDK's newer 0.0.x builds emit 42,
which Grafana 11 does not know.

Every query reads the series contract (docs/design.md) or the recording rules in prometheus/rules/, with
the template variables datasource, service (the Prometheus `job`), provider and model; the
overview's "top spenders" panel groups by the label named in the variable `label` (attribution
labels such as team or tenant_id, or model, provider, operation, service). The graphs read the
panel series of grafana/panel_series.py, recorded at every level a panel can ask for; this script
also writes their recording rules (prometheus/rules/genai-cost-panels.rules.yml).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml
from grafana_foundation_sdk.builders import bargauge, stat, timeseries
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import (
    CustomVariable,
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    Row,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BarGaugeDisplayMode,
    BigValueGraphMode,
    LegendDisplayMode,
    LegendPlacement,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    GridPos,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from panel_series import (  # noqa: E402 - beside this script, which runs as a file
    CALLS,
    COST,
    DURATION_BUCKETS,
    FAILED_CALLS,
    HEADER,
    JOB,
    MODEL,
    PROVIDER,
    RESPONSE_MODEL_COST,
    SAVINGS,
    TOKEN_USAGE_BUCKETS,
    TOKENS,
    UNPRICED,
    VARIABLES,
    rules_file,
)

OUT = HERE / "dashboards"
PANEL_RULES = HERE.parent / "prometheus" / "rules" / "genai-cost-panels.rules.yml"
OVERVIEW_UID = "genai-cost-overview"
MODEL_UID = "genai-cost-model"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
# The series filter every panel applies: the service, provider and model variables.
FILTER = 'job=~"$service", gen_ai_provider_name=~"$provider", gen_ai_request_model=~"$model"'
# Label names offered by the overview's "top spenders" panel. Add your attribution labels here.
GROUP_BY_LABELS = ("team", "tenant_id", "gen_ai_request_model", "gen_ai_provider_name", "gen_ai_operation_name", "job")
USD = "currencyUSD"
USD_PER_HOUR = "currencyUSD"
# The graphs' shortest step: the panel series have one sample every 5 minutes, so a shorter step
# reads each one several times for nothing.
PANEL_STEP = "5m"


def query(expr: str, legend: str = "", instant: bool = False) -> Dataquery:
    q = Dataquery().expr(expr).datasource(DATASOURCE).legend_format(legend or "__auto")
    return q.instant() if instant else q.range()


class Layout:
    """Places panels left to right on Grafana's 24-column grid and numbers them."""

    def __init__(self) -> None:
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_height = 0

    def place(self, panel: Builder, width: int, height: int) -> Builder:
        if self.x + width > 24:
            self.newline()
        panel.id(self.next_id).grid_pos(GridPos(h=height, w=width, x=self.x, y=self.y))
        self.next_id += 1
        self.x += width
        self.row_height = max(self.row_height, height)
        return panel

    def newline(self) -> None:
        self.y += self.row_height
        self.x = 0
        self.row_height = 0

    def row(self, title: str) -> Row:
        self.newline()
        row = Row(title).id(self.next_id).grid_pos(GridPos(h=1, w=24, x=0, y=self.y))
        self.next_id += 1
        self.y += 1
        return row


def number(title: str, expr: str, unit: str, description: str) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .graph_mode(BigValueGraphMode.NONE)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
        .with_target(query(expr, instant=True).ref_id("A"))
    )


def graph(title: str, unit: str, description: str, *targets: Dataquery) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .interval(PANEL_STEP)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .calcs(["lastNotNull", "max"])
            .show_legend(True)
        )
    )
    for ref, target in zip("ABCDEFGH", targets, strict=False):
        panel.with_target(target.ref_id(ref))
    return panel


def bars(title: str, unit: str, description: str, *targets: Dataquery) -> bargauge.Panel:
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .display_mode(BarGaugeDisplayMode.GRADIENT)
        .reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
    )
    for ref, target in zip("ABCDEFGH", targets, strict=False):
        panel.with_target(target.ref_id(ref))
    return panel


def label_variable(name: str, label: str, selector: str, multi: bool = True) -> QueryVariable:
    variable = (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(f"label_values({selector}, {name_to_label(name)})")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(multi)
        .include_all(multi)
    )
    if multi:
        variable.all_value(".*").current(VariableOption(selected=True, text="All", value="$__all"))
    return variable


def name_to_label(variable: str) -> str:
    return next(label for label, name in VARIABLES.items() if name == variable)


def variables(dashboard: Dashboard, multi_model: bool) -> Dashboard:
    return (
        dashboard.with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        .with_variable(label_variable("service", "Service (job)", "gen_ai_client_cost_usd_total"))
        .with_variable(label_variable("provider", "Provider", 'gen_ai_client_cost_usd_total{job=~"$service"}'))
        .with_variable(
            label_variable(
                "model",
                "Model",
                'gen_ai_client_cost_usd_total{job=~"$service", gen_ai_provider_name=~"$provider"}',
                multi=multi_model,
            )
        )
    )


def base(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["genai-cost", "llm", "cost"])
        .time("now-24h", "now")
        .timezone("utc")
        .refresh("1m")
        .links([
            DashboardLink("genai-cost dashboards").type(DashboardLinkType.DASHBOARDS).tags(["genai-cost"])
            .as_dropdown(True).include_vars(True).keep_time(True)
        ])
    )


def overview() -> Dashboard:
    layout = Layout()
    dashboard = variables(
        base(OVERVIEW_UID, "genai-cost: LLM spend overview",
             "USD spend, tokens, cache, calls and budgets of LLM calls measured by genai-cost."),
        multi_model=True,
    ).with_variable(
        CustomVariable("label")
        .label("Top spenders by")
        .values(",".join(GROUP_BY_LABELS))
        .current(VariableOption(selected=True, text=GROUP_BY_LABELS[0], value=GROUP_BY_LABELS[0]))
    )
    panels: list[Builder] = [
        layout.row("Spend"),
        layout.place(number("Spend today (UTC)", f"sum(genai_cost:cost_usd:today{{{FILTER}}})", USD,
                            "Since 00:00 UTC. Recording rule genai_cost:cost_usd:today."), 4, 4),
        layout.place(number("Last 24 hours", f"sum(genai_cost:cost_usd:increase1d{{{FILTER}}})", USD,
                            "Rolling 24 hours: what daily budgets are compared with."), 4, 4),
        layout.place(number("Month to date (UTC)", f"sum(genai_cost:cost_usd:month_to_date{{{FILTER}}})", USD,
                            "Since the 1st of the month, 00:00 UTC: what monthly budgets are compared with."), 4, 4),
        layout.place(number(
            "Month-end forecast",
            f"sum(genai_cost:cost_usd:month_to_date{{{FILTER}}})"
            f" + sum(genai_cost:cost_usd:increase1d{{{FILTER}}}) / 86400 * scalar(genai_cost:month_remaining:seconds)",
            USD, "Month to date plus the last 24 hours' rate until the end of the month."), 4, 4),
        layout.place(number("Cache savings, last 24 h", f"sum(genai_cost:savings_usd:increase1d{{{FILTER}}})", USD,
                            "What cache reads saved against the uncached input price."), 4, 4),
        layout.place(number("Unpriced calls, last hour", f"sum(genai_cost:unpriced_calls:increase1h{{{FILTER}}})",
                            "short", "Calls with no price: their cost is missing from every USD figure here."), 4, 4),
        layout.place(graph(
            "Monthly budgets: spent, forecast, budget", USD,
            "Every scope with a monthly budget in prometheus/budgets.yml (not filtered by the variables).",
            query("genai_cost:budgeted_scope_cost_usd:month_to_date", "{{budget_scope}} {{budget_key}}: spent"),
            query("genai_cost:budgeted_scope_cost_usd:month_forecast", "{{budget_scope}} {{budget_key}}: forecast"),
            query("genai_cost:budget_usd:monthly", "{{budget_scope}} {{budget_key}}: budget"),
        ), 12, 8),
        layout.place(bars(
            "Budget used", "percentunit",
            "Spend of the last 24 hours against daily budgets, of the month so far against monthly budgets.",
            query("genai_cost:scope_cost_usd:1d / on (budget_scope, budget_key) group_left genai_cost:budget_usd:daily",
                  "{{budget_scope}} {{budget_key}} (day)", instant=True),
            query("genai_cost:scope_cost_usd:month_to_date / on (budget_scope, budget_key) group_left"
                  " genai_cost:budget_usd:monthly", "{{budget_scope}} {{budget_key}} (month)", instant=True),
        ).min(0).max(1), 12, 8),
        layout.row("Cost over time"),
        layout.place(graph("Cost by model (USD/h)", USD_PER_HOUR, "Spend rate over the last 5 minutes, per hour.",
                           query(spend_by(MODEL), "{{gen_ai_request_model}}")),
                     8, 8),
        layout.place(graph("Cost by provider (USD/h)", USD_PER_HOUR, "Spend rate over the last 5 minutes, per hour.",
                           query(spend_by(PROVIDER), "{{gen_ai_provider_name}}")),
                     8, 8),
        layout.place(graph("Cost by service (USD/h)", USD_PER_HOUR, "Spend rate over the last 5 minutes, per hour.",
                           query(spend_by(JOB), "{{job}}")), 8, 8),
        layout.row("Tokens and cache"),
        layout.place(graph("Tokens in the last hour, by type", "short",
                           "input and output include cache_read / cache_write and reasoning respectively.",
                           query(f"sum by (gen_ai_token_type) ({TOKENS.select()})",
                                 "{{gen_ai_token_type}}")), 8, 8),
        layout.place(graph(
            "Cache hit rate (cache_read / input tokens, last hour)", "percentunit",
            "Share of input tokens read from the provider's prompt cache.",
            query(f"sum by (gen_ai_request_model) ({tokens('cache_read', MODEL)})"
                  f" / sum by (gen_ai_request_model) ({tokens('input', MODEL)})",
                  "{{gen_ai_request_model}}"),
        ).min(0).max(1), 8, 8),
        layout.place(graph("Cache savings in the last hour", USD, "USD saved by cache reads, per model.",
                           query(f"sum by (gen_ai_request_model) ({SAVINGS.select((MODEL,))})",
                                 "{{gen_ai_request_model}}")), 8, 8),
        layout.row("Calls"),
        layout.place(graph(
            "Calls per minute", "short", "Every call, failed ones included.",
            query(f"sum by (gen_ai_request_model) ({CALLS.select((MODEL,))}) / 5",
                  "{{gen_ai_request_model}}"),
        ), 8, 8),
        layout.place(graph(
            "Latency p50 / p95", "s", "gen_ai.client.operation.duration, whole calls (streams until their end).",
            *(query(latency(q), f"p{int(q * 100)}") for q in (0.5, 0.95)),
        ), 8, 8),
        layout.place(graph(
            "Error rate", "percentunit", "Share of calls that failed (error_type set), per model.",
            query(error_rate(MODEL), "{{gen_ai_request_model}}"),
        ).min(0).max(1), 8, 8),
        layout.row("Unpriced calls and attribution"),
        layout.place(graph(
            "Unpriced calls in the last hour", "short",
            "By model and reason (unknown_model, local_model, no_usage, ...).",
            query(f"sum by (gen_ai_request_model, genai_cost_unpriced_reason) ({UNPRICED.select((MODEL,))})",
                  "{{gen_ai_request_model}}: {{genai_cost_unpriced_reason}}"),
        ), 12, 8),
        layout.place(bars(
            "Top spenders by $label, last 24 h", USD,
            "Grouped by the label chosen in 'Top spenders by' (attribution labels come from GENAI_COST labels).",
            query(f"topk(10, sum by ($label) (genai_cost:cost_usd:increase1d{{{FILTER}}}))", "{{$label}}",
                  instant=True),
        ), 12, 8),
    ]
    return with_panels(dashboard, panels)


def spend_by(label: str) -> str:
    """Spend per hour of each value of ``label``, over the last 5 minutes."""
    return f"sum by ({label}) ({COST.select((label,))}) * 12"


def tokens(token_type: str, *by: str) -> str:
    """Tokens of one type in the last hour, at the level for a panel grouping by ``by``."""
    return TOKENS.select(by, f'gen_ai_token_type="{token_type}"')


def latency(q: float) -> str:
    """The q-quantile of the call duration over the last 5 minutes, from the recorded buckets."""
    return f"histogram_quantile({q}, sum by (le) ({DURATION_BUCKETS.select()}))"


def error_rate(by: str) -> str:
    return f"sum by ({by}) ({FAILED_CALLS.select((by,))}) / sum by ({by}) ({CALLS.select((by,))})"


def model_drilldown() -> Dashboard:
    layout = Layout()
    dashboard = variables(
        base(MODEL_UID, "genai-cost: model drill-down", "One model: spend, tokens, cache, latency and errors."),
        multi_model=False,
    )
    panels: list[Builder] = [
        layout.row("$model"),
        layout.place(number("Last 24 hours", f"sum(genai_cost:cost_usd:increase1d{{{FILTER}}})", USD,
                            "Spend on this model in the last 24 hours."), 6, 4),
        layout.place(number("Month to date (UTC)", f"sum(genai_cost:cost_usd:month_to_date{{{FILTER}}})", USD,
                            "Spend on this model since the 1st, 00:00 UTC."), 6, 4),
        layout.place(number(
            "Cache hit rate, last hour",
            f"sum({tokens('cache_read')}) / sum({tokens('input')})",
            "percentunit", "cache_read / input tokens."), 6, 4),
        layout.place(number("Cache savings, last 24 h", f"sum(genai_cost:savings_usd:increase1d{{{FILTER}}})", USD,
                            "USD saved by cache reads."), 6, 4),
        layout.place(graph("Cost by service (USD/h)", USD_PER_HOUR, "Which services spend on this model.",
                           query(spend_by(JOB), "{{job}}")),
                     12, 8),
        layout.place(graph(
            "Cost by response model (USD/h)", USD_PER_HOUR, "The model versions that actually answered.",
            query(f"sum by (gen_ai_response_model) ({RESPONSE_MODEL_COST.select()}) * 12",
                  "{{gen_ai_response_model}}"),
        ), 12, 8),
        layout.place(graph("Tokens in the last hour, by type", "short", "Tokens of this model by type.",
                           query(f"sum by (gen_ai_token_type) ({TOKENS.select()})",
                                 "{{gen_ai_token_type}}")), 12, 8),
        layout.place(graph(
            "Tokens per call (p50 / p95)", "short", "gen_ai.client.token.usage, by token type.",
            *(query(f"histogram_quantile({q}, sum by (le, gen_ai_token_type) ({TOKEN_USAGE_BUCKETS.select()}))",
                    f"p{int(q * 100)} {{{{gen_ai_token_type}}}}")
              for q in (0.5, 0.95)),
        ), 12, 8),
        layout.place(graph(
            "Latency p50 / p95 / p99", "s", "gen_ai.client.operation.duration.",
            *(query(latency(q), f"p{int(q * 100)}") for q in (0.5, 0.95, 0.99)),
        ), 12, 8),
        layout.place(graph("Error rate", "percentunit", "Share of calls that failed, per service.",
                           query(error_rate(JOB), "{{job}}")).min(0).max(1), 12, 8),
    ]
    return with_panels(dashboard, panels)


def with_panels(dashboard: Dashboard, panels: list[Builder]) -> Dashboard:
    for panel in panels:
        if isinstance(panel, Row):
            dashboard.with_row(panel)
        else:
            dashboard.with_panel(panel)
    return dashboard


def dashboards() -> Iterator[tuple[str, Dashboard]]:
    yield f"{OVERVIEW_UID}.json", overview()
    yield f"{MODEL_UID}.json", model_drilldown()


def render(dashboard: Dashboard) -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(dashboard.build()) + "\n"


def render_rules() -> str:
    return HEADER + yaml.safe_dump(rules_file(), sort_keys=False, width=1000)


def outputs() -> Iterator[tuple[Path, str]]:
    """Every generated file and its text."""
    for name, dashboard in dashboards():
        yield OUT / name, render(dashboard)
    yield PANEL_RULES, render_rules()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed dashboard is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python grafana/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
