"""The typed view of a call, one SELECT over the columns of the ClickHouse exporter's ``otel_traces``.

Both engines hold spans in those columns (``Timestamp``, ``TraceId``, ``SpanId``, ``ServiceName``,
``ResourceAttributes``, ``ScopeName``, ``SpanAttributes``, ``Duration``, ``StatusCode``), every
attribute value a string as the exporter writes it. :func:`calls_select` turns them into one typed
row per call; on files it is a view, on ClickHouse a materialized view filling :data:`CALLS_TABLE`
as the exporter inserts, so that queries read narrow typed columns instead of the attribute maps.
"""

from __future__ import annotations

from genai_cost import names

CALLS_TABLE = "genai_calls"
CONVERSATION_ID = names.CONVERSATION_ID

# Attribution values with a column of their own: column -> span attribute keys, first present wins.
ATTRIBUTION_COLUMNS: dict[str, tuple[str, ...]] = {
    "tenant": ("tenant.id", "tenant"),
    "user": ("user.id", "user"),
    "team": ("team.id", "team"),
    "feature": ("feature",),
}

# Every column of a call: name -> ClickHouse type. Order is the order of the view.
COLUMNS: dict[str, str] = {
    "time": "DateTime64(9, 'UTC')",
    "day": "Date",
    "trace_id": "String",
    "span_id": "String",
    "service": "LowCardinality(String)",
    "environment": "LowCardinality(String)",
    "provider": "LowCardinality(String)",
    "request_model": "LowCardinality(String)",
    "response_model": "LowCardinality(String)",
    "operation": "LowCardinality(String)",
    "input_tokens": "UInt64",
    "output_tokens": "UInt64",
    "cache_read_tokens": "UInt64",
    "cache_write_tokens": "UInt64",
    "reasoning_tokens": "UInt64",
    "cost": "Float64",
    "priced": "UInt8",
    "cost_source": "LowCardinality(String)",
    "cache_savings": "Float64",
    "unpriced_reason": "LowCardinality(String)",
    "duration_s": "Float64",
    "error_type": "LowCardinality(String)",
    "conversation": "String",
    "tenant": "String",
    "user": "String",
    "team": "String",
    "feature": "String",
    "attributes": "Map(String, String)",
}

# Totals of a group, as the report's figures name them.
TOTALS = {
    "calls": "count()",
    "errors": "countIf(error_type != '')",
    "cost_usd": "sum(cost)",
    "cache_savings_usd": "sum(cache_savings)",
    # As the unpriced-calls counter counts: every call the span marks unpriced (not a failure that
    # reported no usage, nor a call that bills nothing such as count_tokens).
    "unpriced_calls": "countIf(unpriced_reason != '')",
    "input_tokens": "sum(input_tokens)",
    "cache_read_tokens": "sum(cache_read_tokens)",
    "cache_write_tokens": "sum(cache_write_tokens)",
    "output_tokens": "sum(output_tokens)",
    "reasoning_tokens": "sum(reasoning_tokens)",
}
# Per-day totals by these columns, and all-time totals per conversation, are kept as projections of
# the ClickHouse table: reports by model or service over whole days, and the top conversations,
# read a few thousand pre-aggregated rows instead of every call.
DAILY_KEYS = ("day", "service", "environment", "provider", "request_model", "response_model", "operation")

_TOKENS = {
    "input_tokens": names.USAGE_INPUT_TOKENS,
    "output_tokens": names.USAGE_OUTPUT_TOKENS,
    "cache_read_tokens": names.USAGE_CACHE_READ_INPUT_TOKENS,
    "cache_write_tokens": names.USAGE_CACHE_WRITE_INPUT_TOKENS,
    "reasoning_tokens": names.USAGE_REASONING_OUTPUT_TOKENS,
}
_STRINGS = {
    "provider": names.PROVIDER_NAME,
    "request_model": names.REQUEST_MODEL,
    "response_model": names.RESPONSE_MODEL,
    "operation": names.OPERATION_NAME,
    "cost_source": names.COST_SOURCE,
    "unpriced_reason": names.UNPRICED_REASON,
    "error_type": names.ERROR_TYPE,
    "conversation": CONVERSATION_ID,
}
# Attribution keys never start with these (see attribution.key_problem): the rest of the span's
# attributes are the attribution values, kept whole in the `attributes` map.
_NOT_ATTRIBUTION = names.RESERVED_KEY_PREFIXES


def quote(text: str) -> str:
    """A ClickHouse string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _attr(key: str) -> str:
    return f"SpanAttributes[{quote(key)}]"


def _first_present(keys: tuple[str, ...]) -> str:
    expression = _attr(keys[-1])
    for key in reversed(keys[:-1]):
        expression = f"if(mapContains(SpanAttributes, {quote(key)}), {_attr(key)}, {expression})"
    return expression


def _expressions() -> dict[str, str]:
    environment = (
        "if(mapContains(ResourceAttributes, 'deployment.environment.name'), "
        "ResourceAttributes['deployment.environment.name'], ResourceAttributes['deployment.environment'])"
    )
    reserved = " OR ".join(f"startsWith(k, {quote(prefix)})" for prefix in _NOT_ATTRIBUTION)
    columns = {
        "time": "Timestamp",
        "day": "toDate(Timestamp, 'UTC')",
        "trace_id": "TraceId",
        "span_id": "SpanId",
        "service": "ServiceName",
        "environment": environment,
    }
    columns.update({column: _attr(key) for column, key in _STRINGS.items()})
    columns.update({column: f"toUInt64OrZero({_attr(key)})" for column, key in _TOKENS.items()})
    columns["cost"] = f"toFloat64OrZero({_attr(names.USAGE_COST)})"
    columns["priced"] = f"toUInt8(mapContains(SpanAttributes, {quote(names.USAGE_COST)}))"
    columns["cache_savings"] = f"toFloat64OrZero({_attr(names.CACHE_SAVINGS)})"
    columns["duration_s"] = "Duration / 1e9"
    columns.update({column: _first_present(keys) for column, keys in ATTRIBUTION_COLUMNS.items()})
    columns["attributes"] = f"mapFilter((k, v) -> NOT ({reserved}), SpanAttributes)"
    return {column: columns[column] for column in COLUMNS}


def is_call() -> str:
    """The condition that makes a span a call of the ledger: a genai-cost span of a GenAI operation."""
    return f"ScopeName = {quote(names.SCOPE_NAME)} AND mapContains(SpanAttributes, {quote(names.OPERATION_NAME)})"


def calls_select(spans: str) -> str:
    """SELECT one typed row per call FROM ``spans`` (a relation with the otel_traces columns)."""
    fields = ",\n    ".join(f"{expression} AS `{column}`" for column, expression in _expressions().items())
    return f"SELECT\n    {fields}\nFROM {spans}\nWHERE {is_call()}"


def _projection(name: str, keys: tuple[str, ...]) -> str:
    columns = ", ".join(f"`{key}`" for key in keys)
    aggregates = ", ".join(TOTALS.values())
    return f"PROJECTION {name} (SELECT {columns}, {aggregates} GROUP BY {columns})"


def calls_table_ddl(database: str, table: str = CALLS_TABLE) -> str:
    """The typed table the ClickHouse materialized view fills: by month, in time order; skip
    indexes make the lookups of one conversation or one user read a few granules."""
    columns = ",\n    ".join(f"`{name}` {kind}" for name, kind in COLUMNS.items())
    return (
        f"CREATE TABLE IF NOT EXISTS `{database}`.`{table}` (\n    {columns},\n"
        "    INDEX idx_conversation conversation TYPE bloom_filter(0.001) GRANULARITY 1,\n"
        "    INDEX idx_user `user` TYPE bloom_filter(0.01) GRANULARITY 1,\n"
        "    INDEX idx_tenant tenant TYPE bloom_filter(0.01) GRANULARITY 1,\n"
        f"    {_projection('daily', DAILY_KEYS)},\n"
        f"    {_projection('conversations', ('conversation',))}\n"
        ") ENGINE = MergeTree\nPARTITION BY toYYYYMM(time)\nORDER BY (time, span_id)\n"
        "SETTINGS deduplicate_merge_projection_mode = 'rebuild'"
    )


def calls_view_ddl(database: str, traces_table: str = "otel_traces", table: str = CALLS_TABLE) -> str:
    """The materialized view that types each span the ClickHouse exporter inserts into ``traces_table``."""
    spans = f"`{database}`.`{traces_table}`"
    return f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.`{table}_mv` TO `{database}`.`{table}` AS\n" + (
        calls_select(spans)
    )


def backfill(database: str, traces_table: str = "otel_traces", table: str = CALLS_TABLE) -> str:
    """Type the spans already in ``traces_table`` (run once, before the view sees new inserts)."""
    return f"INSERT INTO `{database}`.`{table}`\n" + calls_select(f"`{database}`.`{traces_table}`")


def clickhouse_ddl(database: str = "otel", traces_table: str = "otel_traces") -> list[str]:
    """Statements that add the ledger to a ClickHouse the exporter writes to."""
    return [calls_table_ddl(database), calls_view_ddl(database, traces_table)]
