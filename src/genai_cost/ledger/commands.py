"""`genai-cost calls` (the per-request log) and `genai-cost ledger-schema` (ClickHouse DDL).

Exit codes: 0 done; 1 the ledger cannot be read; 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta

from genai_cost.ledger import output, queries, schema

ENV_LEDGER = "GENAI_COST_LEDGER"
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def moment(text: str) -> datetime:
    """A date (YYYY-MM-DD) or date-time (ISO 8601, UTC unless it says otherwise)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date or date-time such as 2026-12-01T10:00, got {text!r}"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def span_of(text: str) -> timedelta:
    """A duration such as 30m, 24h, 7d, 2w."""
    number, unit = text.strip()[:-1], text.strip()[-1:]
    if unit not in _UNITS or not number.isdigit():
        raise argparse.ArgumentTypeError(f"expected a duration such as 30m, 24h or 7d, got {text!r}")
    return timedelta(seconds=int(number) * _UNITS[unit])


def filters_of(args: argparse.Namespace, now: datetime | None = None) -> queries.Filters:
    since, until = args.start, args.end
    if args.last:
        since = (now or datetime.now(UTC)) - args.last
    if until is not None and len(args.end_text or "") == 10:
        until += timedelta(days=1)  # --to 2026-12-01 includes that day
    where = tuple(tuple(item.split("=", 1)) for item in args.where or ())
    return queries.Filters(
        since=since,
        until=until,
        service=args.service,
        model=args.model,
        user=args.user,
        tenant=args.tenant,
        conversation=args.conversation,
        errors_only=args.errors,
        where=where,  # type: ignore[arg-type]
    )


def add_ledger_arguments(parser: argparse.ArgumentParser) -> None:
    """--ledger and the filters of calls, shared by `calls` and `report --source ledger`."""
    parser.add_argument(
        "--ledger",
        metavar="PATH_OR_URL",
        help=f"the file exporter's directory (or a file or glob), or a ClickHouse HTTP URL such as "
        f"http://localhost:8123/?database=otel (default: ${ENV_LEDGER})",
    )
    when = parser.add_argument_group("time range (UTC)")
    when.add_argument("--from", dest="start", type=moment, metavar="DATE", help="calls from this date or time on")
    when.add_argument(
        "--to", dest="end_text", metavar="DATE", help="calls before this time, or up to the end of this date"
    )
    when.add_argument("--last", type=span_of, metavar="D", help="calls of the last 30m, 24h, 7d, ...")
    chosen = parser.add_argument_group("which calls")
    for name in ("service", "model", "user", "tenant", "conversation"):
        chosen.add_argument(f"--{name}", metavar=name.upper(), help=f"only calls of this {name}")
    chosen.add_argument("--errors", action="store_true", help="only failed calls")
    chosen.add_argument("--where", action="append", metavar="KEY=VALUE", help="only calls with this attribute value")


def _resolve(args: argparse.Namespace) -> None:
    args.end = moment(args.end_text) if args.end_text else None
    if args.where and any("=" not in item for item in args.where):
        raise argparse.ArgumentTypeError("--where takes KEY=VALUE")


def run_calls(args: argparse.Namespace) -> int:
    import os

    from genai_cost.ledger import engines

    try:
        _resolve(args)
    except argparse.ArgumentTypeError as error:
        print(f"genai-cost calls: {error}", file=sys.stderr)
        return 2
    location = args.ledger or os.environ.get(ENV_LEDGER)
    if not location:
        print(f"genai-cost calls: say where the ledger is: --ledger PATH_OR_URL or ${ENV_LEDGER}", file=sys.stderr)
        return 2
    try:
        engine = engines.open_ledger(location)
        rows = engine.rows(queries.calls_sql(engine.calls, filters_of(args), args.limit, args.slowest))
    except engines.LedgerError as error:
        print(f"genai-cost calls: {error}", file=sys.stderr)
        return 1
    text = output.RENDERERS[args.format](rows, queries.LOG_COLUMNS)
    _write(text, args.output)
    return 0


def _write(text: str, path: str | None) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def run_schema(args: argparse.Namespace) -> int:
    statements = schema.clickhouse_ddl(args.database, args.traces_table)
    if args.backfill:
        statements.append(schema.backfill(args.database, args.traces_table))
    sys.stdout.write(";\n\n".join(statements) + ";\n")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "calls",
        help="the per-request log from the call ledger: one row per LLM call, filtered",
        description="List LLM calls from the ledger the Collector writes (files or ClickHouse), oldest first.",
    )
    add_ledger_arguments(parser)
    parser.add_argument("--limit", type=int, metavar="N", help="at most N calls")
    parser.add_argument("--slowest", action="store_true", help="slowest first instead of oldest first")
    parser.add_argument("--format", choices=output.FORMATS, default="table")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    parser.set_defaults(handler=run_calls)

    ddl = commands.add_parser(
        "ledger-schema",
        help="print the ClickHouse statements that add the typed call ledger to the exporter's database",
    )
    ddl.add_argument("--database", default="otel", help="the ClickHouse exporter's database (default: %(default)s)")
    ddl.add_argument("--traces-table", default="otel_traces", help="its traces table (default: %(default)s)")
    ddl.add_argument("--backfill", action="store_true", help="also type the spans already in the traces table")
    ddl.set_defaults(handler=run_schema)
