"""The file exporter's OTLP-JSON files as rows with the columns of the ClickHouse exporter's table.

Each line of a file is one ExportTraceServiceRequest in OTLP JSON; the exporter's native zstd
compression makes every write a whole zstd frame, so a file (the live one or a rotated one) is
a plain ``.zst`` that ClickHouse's ``file()`` decompresses by its extension. Attribute values
become strings the way the ClickHouse exporter writes them (ints and doubles as their decimal
text, arrays and maps as JSON), so :func:`genai_cost.ledger.schema.calls_select` reads both alike.
"""

from __future__ import annotations

from pathlib import Path

from genai_cost.ledger.schema import quote

# Files the ledger reads in a directory: the live file and its rotated copies, compressed or not.
PATTERNS = ("*.zst", "*.json", "*.jsonl")

_CODE = "JSONExtractInt(span, 'status', 'code')"
_STATUS = f"multiIf({_CODE} = 2, 'Error', {_CODE} = 1, 'Ok', 'Unset')"  # ptrace StatusCode.String()


def _value(kv: str) -> str:
    """An OTLP JSON AnyValue as the exporter's string (pcommon Value.AsString)."""
    return (
        f"multiIf(JSONHas({kv}, 'value', 'stringValue'), JSONExtractString({kv}, 'value', 'stringValue'), "
        f"JSONHas({kv}, 'value', 'intValue'), trim(BOTH '\"' FROM JSONExtractRaw({kv}, 'value', 'intValue')), "
        f"JSONHas({kv}, 'value', 'doubleValue'), JSONExtractRaw({kv}, 'value', 'doubleValue'), "
        f"JSONHas({kv}, 'value', 'boolValue'), JSONExtractRaw({kv}, 'value', 'boolValue'), "
        f"JSONExtractRaw({kv}, 'value'))"
    )


def _attributes(owner: str) -> str:
    """Map(String, String) of the ``attributes`` array of the JSON object ``owner``."""
    items = f"JSONExtractArrayRaw({owner}, 'attributes')"
    return (
        f"mapFromArrays(arrayMap(kv -> JSONExtractString(kv, 'key'), {items}), arrayMap(kv -> {_value('kv')}, {items}))"
    )


def glob_of(location: str | Path) -> str:
    """The file() glob of a ledger location: a directory (its exporter files) or a file or glob."""
    path = Path(location)
    if path.is_dir():
        return str(path / ("*{" + ",".join(pattern.removeprefix("*") for pattern in PATTERNS) + "}"))
    return str(path)


def spans_relation(location: str | Path) -> str:
    """A subquery with the otel_traces columns, one row per span in the files at ``location``."""
    resource = _attributes("JSONExtractRaw(rs, 'resource')")
    scope = "JSONExtractRaw(ss, 'scope')"
    start = "toInt64(JSONExtractString(span, 'startTimeUnixNano'))"
    end = "toInt64(JSONExtractString(span, 'endTimeUnixNano'))"
    return f"""(
    SELECT
        fromUnixTimestamp64Nano({start}, 'UTC') AS Timestamp,
        JSONExtractString(span, 'traceId') AS TraceId,
        JSONExtractString(span, 'spanId') AS SpanId,
        JSONExtractString(span, 'name') AS SpanName,
        {resource} AS ResourceAttributes,
        ResourceAttributes['service.name'] AS ServiceName,
        JSONExtractString({scope}, 'name') AS ScopeName,
        {_attributes("span")} AS SpanAttributes,
        toUInt64(greatest({end} - {start}, 0)) AS Duration,
        {_STATUS} AS StatusCode
    FROM file({quote(glob_of(location))}, 'JSONAsString', 'line String')
    ARRAY JOIN JSONExtractArrayRaw(line, 'resourceSpans') AS rs
    ARRAY JOIN JSONExtractArrayRaw(rs, 'scopeSpans') AS ss
    ARRAY JOIN JSONExtractArrayRaw(ss, 'spans') AS span
)"""
