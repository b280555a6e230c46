"""`genai-cost report` and `genai-cost advise`: the counters in Prometheus turned into answers.

Modules, one job each: `client` (the Prometheus query API), `periods` (UTC calendar periods and
their day segments), `exact` (the exact increase of a counter per group and segment), `figures`
(the report's numbers per group and in total), `budgets` (budget status and the month-end
forecast), `formats` (table, csv, json, markdown), `focus` (FinOps FOCUS 1.2 rows), `html` (the
self-contained HTML report), `advise` (recommendations with a dollar figure) and `command` (the
command-line wiring). Nothing here is imported by the instrumentation.
"""
