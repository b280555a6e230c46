"""The ledger's SQL, written once against the relation of typed calls (see :mod:`schema`).

The same text runs on chdb over files, on chdb over the exporter's tables and on a ClickHouse
server: only the relation name (:attr:`engines.Engine.calls`) is filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from genai_cost.ledger.schema import COLUMNS, quote

# Columns of the per-request log, in print order.
LOG_COLUMNS = (
    "time",
    "service",
    "provider",
    "request_model",
    "response_model",
    "operation",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost",
    "cost_source",
    "cache_savings",
    "unpriced_reason",
    "duration_s",
    "error_type",
    "conversation",
    "tenant",
    "user",
    "trace_id",
    "span_id",
)
# Names users type for grouping and filtering, as the Prometheus report spells them too.
ALIASES = {
    "model": "request_model",
    "gen_ai.request.model": "request_model",
    "gen_ai.response.model": "response_model",
    "gen_ai.provider.name": "provider",
    "gen_ai.operation.name": "operation",
    "gen_ai.conversation.id": "conversation",
    "conversation.id": "conversation",
    "tenant.id": "tenant",
    "tenant_id": "tenant",
    "user.id": "user",
    "user_id": "user",
    "team.id": "team",
    "job": "service",
    "service.name": "service",
}
# Totals of a group, as the report's figures name them.
TOTALS = {
    "calls": "count()",
    "errors": "countIf(error_type != '')",
    "cost_usd": "sum(cost)",
    "cache_savings_usd": "sum(cache_savings)",
    "unpriced_calls": "countIf(priced = 0 AND operation != 'count_tokens')",
    "input_tokens": "sum(input_tokens)",
    "cache_read_tokens": "sum(cache_read_tokens)",
    "cache_write_tokens": "sum(cache_write_tokens)",
    "output_tokens": "sum(output_tokens)",
    "reasoning_tokens": "sum(reasoning_tokens)",
}


@dataclass(frozen=True)
class Filters:
    """Which calls: every field set narrows the selection (all of them hold)."""

    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    service: str | None = None
    model: str | None = None  # request or response model
    user: str | None = None
    tenant: str | None = None
    conversation: str | None = None
    errors_only: bool = False
    where: tuple[tuple[str, str], ...] = ()  # (column or attribute key, value)


def column(name: str) -> str:
    """The SQL of a column or attribution key: `user`, `model`, `tenant.id`, `region` (an attribute)."""
    name = ALIASES.get(name.strip(), name.strip())
    if name in COLUMNS:
        return f"`{name}`"
    return f"attributes[{quote(name)}]"


def _time(value: datetime) -> str:
    return f"toDateTime64({quote(value.strftime('%Y-%m-%d %H:%M:%S.%f'))}, 9, 'UTC')"


def where(filters: Filters) -> str:
    """The WHERE clause of ``filters`` ('' for none)."""
    terms = []
    if filters.since:
        terms.append(f"time >= {_time(filters.since)}")
    if filters.until:
        terms.append(f"time < {_time(filters.until)}")
    for name, value in (
        ("service", filters.service),
        ("user", filters.user),
        ("tenant", filters.tenant),
        ("conversation", filters.conversation),
        *filters.where,
    ):
        if value is not None:
            terms.append(f"{column(name)} = {quote(value)}")
    if filters.model is not None:
        terms.append(f"(request_model = {quote(filters.model)} OR response_model = {quote(filters.model)})")
    if filters.errors_only:
        terms.append("error_type != ''")
    return ("WHERE " + " AND ".join(terms)) if terms else ""


def calls_sql(calls: str, filters: Filters, limit: int | None = None, slowest: bool = False) -> str:
    """The per-request log: one row per call, oldest first (or slowest first)."""
    fields = ", ".join(f"`{name}`" for name in LOG_COLUMNS)
    order = "duration_s DESC, time" if slowest else "time, span_id"
    tail = f"\nLIMIT {int(limit)}" if limit else ""
    return f"SELECT {fields}\nFROM {calls}\n{where(filters)}\nORDER BY {order}{tail}"


def totals_sql(calls: str, by: Sequence[str], filters: Filters, top: int | None = None) -> str:
    """Totals per group of ``by`` (columns or attribute keys), the most expensive first."""
    keys = [f"{column(name)} AS `{name}`" for name in by]
    fields = ", ".join([*keys, *(f"{sql} AS `{name}`" for name, sql in TOTALS.items())])
    group = f"\nGROUP BY {', '.join(f'`{name}`' for name in by)}" if by else ""
    # Rounded to a pico-dollar so that float summation order (which differs between engines and
    # runs) cannot swap two groups of equal cost: ties go by the group's values.
    order = ", ".join(["round(cost_usd, 12) DESC", *(f"`{name}`" for name in by)])
    tail = f"\nLIMIT {int(top)}" if top else ""
    return f"SELECT {fields}\nFROM {calls}\n{where(filters)}{group}\nORDER BY {order}{tail}"
