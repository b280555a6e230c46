"""Generate the per-call ledger dashboard (grafana/dashboards/ledger/genai-cost-ledger.json) from code.

    python grafana/ledger_dashboard.py           # rewrite the JSON file
    python grafana/ledger_dashboard.py --check   # exit 1 if the committed file differs

The dashboard reads the ledger's typed table in ClickHouse (`otel.genai_calls`, see
docs/ledger.md) through the ClickHouse data source plugin (grafana-clickhouse-datasource): cost
per user and per conversation, the top N of each, the per-request log of one user or
conversation, and the slowest and the most expensive calls. Every query is SQL with the plugin's
macros ($__timeFilter, $__timeInterval) and the variables user, conversation and top; the
aggregates are the ledger's own (genai_cost.ledger.schema.TOTALS), so the dashboard and
`genai-cost report --source ledger` sum alike. Its JSON sits in a subfolder of
grafana/dashboards/, which Grafana's file provisioning also loads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from generate import Layout, render  # grafana/generate.py: grid placement and the JSON encoding
from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import CustomVariable, Dashboard, DatasourceVariable, TextBoxVariable
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.runtime import UnknownDataquery
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableOption

from genai_cost.ledger.schema import CALLS_TABLE, TOTALS

OUT = Path(__file__).resolve().parent / "dashboards" / "ledger" / "genai-cost-ledger.json"
UID = "genai-cost-ledger"
PLUGIN = "grafana-clickhouse-datasource"
DATASOURCE = DataSourceRef(type_val=PLUGIN, uid="${datasource}")
CALLS = f"otel.{CALLS_TABLE}"
# Which calls every panel shows: the dashboard's time range, and the user / conversation boxes when set.
WHERE = (
    "$__timeFilter(time) AND (${user:sqlstring} = '' OR user = ${user:sqlstring}) "
    "AND (${conversation:sqlstring} = '' OR conversation = ${conversation:sqlstring})"
)
FIGURES = ", ".join(f"{sql} AS {name}" for name, sql in TOTALS.items() if name in ("calls", "errors", "cost_usd"))
CALL_COLUMNS = (
    "time, service, user, conversation, provider, request_model, operation, input_tokens, output_tokens, "
    "cost, duration_s, error_type, trace_id"
)
TABLE_FORMAT, SERIES_FORMAT = 1, 0  # the plugin's Format enum: table, time series


class Query(Builder[UnknownDataquery]):
    """A SQL query of the ClickHouse data source plugin (no builder for it in the SDK)."""

    def __init__(self, sql: str, series: bool = False, ref_id: str = "A") -> None:
        self.data: dict[str, Any] = {
            "datasource": {"type": PLUGIN, "uid": "${datasource}"},
            "editorType": "sql",
            "format": SERIES_FORMAT if series else TABLE_FORMAT,
            "queryType": "timeseries" if series else "table",
            "rawSql": sql,
            "refId": ref_id,
        }

    def build(self) -> UnknownDataquery:
        return UnknownDataquery(dict(self.data))


def grid(title: str, description: str, sql: str) -> table.Panel:
    return table.Panel().title(title).description(description).datasource(DATASOURCE).with_target(Query(sql))


def panels() -> list[Builder]:
    layout = Layout()
    spend = f"SELECT {FIGURES} FROM {CALLS} WHERE {WHERE}"
    per_model = (
        f"SELECT $__timeInterval(time) AS t, request_model, sum(cost) AS cost_usd FROM {CALLS} "
        f"WHERE {WHERE} GROUP BY t, request_model ORDER BY t"
    )
    top = "LIMIT ${top}"
    return [
        layout.place(
            stat.Panel().title("Cost").description("USD of the calls shown (time range, user, conversation).")
            .datasource(DATASOURCE).unit("currencyUSD").with_target(Query(spend)), 6, 5),
        layout.place(
            timeseries.Panel().title("Cost per model").description("USD per interval and request model.")
            .datasource(DATASOURCE).unit("currencyUSD").with_target(Query(per_model, series=True)), 18, 5),
        layout.place(grid("Top users by cost", "Calls, errors and USD per user, the most expensive first.",
                          f"SELECT user, {FIGURES} FROM {CALLS} WHERE {WHERE} GROUP BY user "
                          f"ORDER BY cost_usd DESC {top}"), 12, 8),
        layout.place(grid("Top conversations by cost", "Calls, errors and USD per gen_ai.conversation.id.",
                          f"SELECT conversation, any(user) AS a_user, {FIGURES}, min(time) AS started FROM {CALLS} "
                          f"WHERE {WHERE} AND conversation != '' GROUP BY conversation "
                          f"ORDER BY cost_usd DESC {top}"), 12, 8),
        layout.place(grid("Slowest calls", "The longest calls with their model, tokens, cost and error.",
                          f"SELECT {CALL_COLUMNS} FROM {CALLS} WHERE {WHERE} ORDER BY duration_s DESC {top}"), 12, 8),
        layout.place(grid("Most expensive calls", "The costliest single calls.",
                          f"SELECT {CALL_COLUMNS} FROM {CALLS} WHERE {WHERE} ORDER BY cost DESC {top}"), 12, 8),
        layout.place(grid("Calls", "Every call of the user / conversation chosen above, newest first (500 at most).",
                          f"SELECT {CALL_COLUMNS} FROM {CALLS} WHERE {WHERE} ORDER BY time DESC LIMIT 500"), 24, 10),
    ]  # fmt: skip


def dashboard() -> Dashboard:
    board = (
        Dashboard("genai-cost: calls")
        .uid(UID)
        .description("Every LLM call from the ledger in ClickHouse: per user, per conversation, top N, slowest.")
        .tags(["genai-cost"])
        .time("now-24h", "now")
        .with_variable(DatasourceVariable("datasource").label("ClickHouse").type(PLUGIN))
        .with_variable(TextBoxVariable("user").label("user"))
        .with_variable(TextBoxVariable("conversation").label("conversation"))
        .with_variable(
            CustomVariable("top").label("top").values("10,20,50").current(VariableOption(text="10", value="10"))
        )
    )
    for panel in panels():
        board.with_panel(panel)
    return board


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed dashboard is out of date")
    args = parser.parse_args(argv)
    text = render(dashboard())
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"out of date: {OUT.name} (run python grafana/ledger_dashboard.py)", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
