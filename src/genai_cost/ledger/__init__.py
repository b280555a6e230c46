"""The call ledger: every LLM call one row, read from the spans the Collector wrote.

- :mod:`schema`: the typed view of a call (one SELECT over the columns of the ClickHouse
  exporter's ``otel_traces`` table), and the ClickHouse DDL that keeps it as a table;
- :mod:`otlp_files`: the same ``otel_traces`` columns read in place from the file exporter's
  OTLP-JSON files;
- :mod:`engines`: where a query runs (chdb in process, or a ClickHouse server over HTTP);
- :mod:`queries`: the SQL of the per-call log and of totals by any attribute;
- :mod:`commands`: ``genai-cost calls`` and the ledger source of ``genai-cost report``.

Needs the ``ledger`` extra (chdb) for files; nothing here is imported by the instrumentation.
"""
