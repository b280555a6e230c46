"""The ledger's SQL, written once against the relation of typed calls (see :mod:`schema`).

The same text runs on chdb over files, on chdb over the exporter's tables and on a ClickHouse
server: only the relation name (:attr:`engines.Engine.calls`) is filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from genai_cost.ledger.schema import COLUMNS, TOTALS, quote

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
    # the Prometheus label names `genai-cost report` resolves its --by and --filter names to
    "gen_ai_provider_name": "provider",
    "gen_ai_request_model": "request_model",
    "gen_ai_response_model": "response_model",
    "gen_ai_operation_name": "operation",
    "gen_ai_conversation_id": "conversation",
    "service.name": "service",
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


def _bound(value: datetime, operator: str) -> str:
    """``time <op> value``; at midnight UTC as ``day`` (the same rows), which lets ClickHouse answer
    from the typed table's per-day projections instead of every row."""
    utc = value.astimezone(UTC)
    if utc == datetime(utc.year, utc.month, utc.day, tzinfo=UTC):
        return f"day {operator} toDate({quote(utc.strftime('%Y-%m-%d'))})"
    return f"time {operator} {_time(value)}"


def where(filters: Filters) -> str:
    """The WHERE clause of ``filters`` ('' for none)."""
    terms = []
    if filters.since:
        terms.append(_bound(filters.since, ">="))
    if filters.until:
        terms.append(_bound(filters.until, "<"))
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


def _within(by: Sequence[str], groups: Sequence[Sequence[str]]) -> str:
    """``(keys) IN (...)``: only the calls of these groups (values in the order of ``by``)."""
    if not groups:
        return "0"
    keys = [column(name) for name in by]
    if len(keys) == 1:
        return f"{keys[0]} IN ({', '.join(quote(group[0]) for group in groups)})"
    tuples = ", ".join("(" + ", ".join(quote(value) for value in group) + ")" for group in groups)
    return f"({', '.join(keys)}) IN ({tuples})"


def totals_sql(
    calls: str,
    by: Sequence[str],
    filters: Filters,
    top: int | None = None,
    groups: Sequence[Sequence[str]] | None = None,
) -> str:
    """Totals per group of ``by`` (columns or attribute keys), the most expensive first.

    With ``top``, the groups are ranked on their cost alone first and the totals computed for
    the ``top`` winners only: the same rows, for a fraction of the work on many groups. With
    ``groups``, only those groups (values of the first keys of ``by``, in order)."""
    keys = [f"{column(name)} AS `{name}`" for name in by]
    fields = ", ".join([*keys, *(f"{sql} AS `{name}`" for name, sql in TOTALS.items())])
    names = ", ".join(f"`{name}`" for name in by)
    # Rounded to a pico-dollar so that float summation order (which differs between engines and
    # runs) cannot swap two groups of equal cost: ties go by the group's values.
    order = ", ".join(["round(cost_usd, 12) DESC", *(f"`{name}`" for name in by)])
    condition = where(filters)
    if groups is not None:
        width = len(groups[0]) if groups else 1
        restrict = _within(by[:width], groups)
        condition = f"{condition} AND {restrict}" if condition else f"WHERE {restrict}"
    if top and by:
        ranked = (
            f"SELECT {', '.join(column(name) for name in by)} FROM {calls} {condition} "
            f"GROUP BY {', '.join(column(name) for name in by)} "
            f"ORDER BY round(sum(cost), 12) DESC, {', '.join(column(name) for name in by)} LIMIT {int(top)} "
            # The per-conversation projection is sorted by conversation: aggregate it as it streams.
            "SETTINGS optimize_aggregation_in_order = 1"
        )
        winners = f"({', '.join(column(name) for name in by)}) IN ({ranked})"
        condition = f"{condition} AND {winners}" if condition else f"WHERE {winners}"
    group = f"\nGROUP BY {names}" if by else ""
    tail = f"\nLIMIT {int(top)}" if top else ""
    return f"SELECT {fields}\nFROM {calls}\n{condition}{group}\nORDER BY {order}{tail}"
