"""`genai-cost report` and `genai-cost advise`: arguments, the run, and errors a user can act on.

Exit codes: 0 done; 1 Prometheus unreachable or no data; 2 bad arguments (period, label, format).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from genai_cost.report import advise as adv
from genai_cost.report import builder, periods
from genai_cost.report import figures as fig
from genai_cost.report.client import ENV_URL, PromClient, PrometheusError
from genai_cost.report.exact import LOOKBACK

REPORT_FORMATS = ("table", "csv", "json", "markdown", "html", "focus")
ADVISE_FORMATS = ("table", "markdown", "json")


class UsageError(Exception):
    """Bad arguments: exit code 2."""


def period_of(args: argparse.Namespace, now: float) -> periods.Period:
    chosen = [flag for flag, value in (("--month", args.month), ("--last", args.last), ("--from", args.start)) if value]
    if len(chosen) > 1:
        raise UsageError(f"choose one of --month, --last and --from (got {' and '.join(chosen)})")
    if args.end and not args.start:
        raise UsageError("--to needs --from")
    if args.last:
        return periods.last(args.last, now)
    if args.start:
        return periods.between(args.start, args.end, now)
    return periods.month(args.month, now)


def by_labels(values: Sequence[str] | None) -> list[str]:
    if not values:
        return list(fig.DEFAULT_BY)
    return [fig.label_name(name) for value in values for name in value.split(",") if name.strip()]


def _advice(
    client: PromClient, period: periods.Period, filters: dict[str, str], args: argparse.Namespace
) -> list[adv.Advice]:
    """Recommendations from the figures per service, provider and model."""
    from genai_cost.price_tool.arguments import price_book

    by = ["job", "gen_ai_provider_name", "gen_ai_request_model"]
    _, calls = builder.check_labels(client, period, [*filters])
    counters = [c for c in fig.COUNTERS if calls or c is not fig.CALLS]
    values, _ = builder.grown(client, period, by, filters, counters, args.lookback)
    services = fig.assemble({c: _sum(values[c]) for c in counters}, 3, calls)
    models: dict[tuple[str, str], fig.Figures] = {}
    for (_, provider, model), figures in services.items():
        models.setdefault((provider, model), fig.Figures(calls=0.0 if calls else None, errors=0.0 if calls else None))
        models[(provider, model)].add(figures)
    options = adv.Options(cache_hit_rate=args.cache_hit_rate, candidates=_candidates(args.candidates))
    book = price_book(args.prices_file)
    return adv.recommend(models, services, book, period.end - 1, options)


def _sum(per_segment: list[dict[Any, float]]) -> dict[Any, float]:
    from genai_cost.report.exact import series_total

    return series_total(per_segment)


def _candidates(path: str | None) -> dict[str, dict[str, list[str]]]:
    from genai_cost.report import candidates

    try:
        return candidates.load(path)
    except (OSError, candidates.CandidateFileError) as error:
        raise UsageError(f"--candidates: {error}") from None


def run_report(args: argparse.Namespace) -> str:
    now = float(int(time.time()))
    period = period_of(args, now)
    client = PromClient(args.prometheus)
    filters = builder.parse_filters(args.filter or [])
    by, top = by_labels(args.by), args.top
    if args.format == "focus":
        from genai_cost.report import focus

        by, top = focus.focus_by(by), None  # every row, so that BilledCost adds up to the total
    if args.source == "ledger":
        return _render(_ledger_report(args, period, by, filters, top), args)
    report = builder.build(client, period, by, filters, top, args.lookback, now)
    if args.format == "html":
        from genai_cost.report import html

        report.advice = _advice(client, period, filters, args)
        return html.render(report)
    if args.format == "focus":
        from genai_cost.report import focus

        return focus.csv_text(report, args.billing_account)
    from genai_cost.report import formats

    return formats.RENDERERS[args.format](report)


def _ledger_report(
    args: argparse.Namespace, period: periods.Period, by: list[str], filters: dict[str, str], top: int | None
) -> builder.Report:
    """The same report summed from the call ledger (genai_cost.ledger) instead of Prometheus."""
    import os

    from genai_cost.ledger import commands as ledger_commands
    from genai_cost.ledger import engines
    from genai_cost.ledger import report as ledger_report

    location = args.ledger or os.environ.get(ledger_commands.ENV_LEDGER)
    if not location:
        raise UsageError(f"--source ledger needs --ledger PATH_OR_URL or ${ledger_commands.ENV_LEDGER}")
    try:
        return ledger_report.build(engines.open_ledger(location), period, by, filters, top)
    except engines.LedgerError as error:
        raise builder.ReportError(str(error)) from None


def _render(report: builder.Report, args: argparse.Namespace) -> str:
    """A report built from the ledger in the chosen format (advice needs Prometheus: none here)."""
    if args.format == "html":
        from genai_cost.report import html

        return html.render(report)
    if args.format == "focus":
        from genai_cost.report import focus

        return focus.csv_text(report, args.billing_account)
    from genai_cost.report import formats

    return formats.RENDERERS[args.format](report)


def run_advise(args: argparse.Namespace) -> str:
    now = float(int(time.time()))
    period = period_of(args, now)
    client = PromClient(args.prometheus)
    advice = _advice(client, period, builder.parse_filters(args.filter or []), args)
    if args.format == "json":
        import json

        doc = {"period": {"label": period.label, "start": periods.iso(period.start), "end": periods.iso(period.end)},
               "advice": [a.as_dict() for a in advice]}  # fmt: skip
        return json.dumps(doc, indent=2) + "\n"
    if args.format == "markdown":
        return f"# What to change to spend less ({period.label})\n\n{adv.markdown_items(advice)}\n"
    return f"Recommendations for {period.label} (largest first)\n\n{adv.table(advice)}"


def duration(text: str) -> int:
    try:
        return int(periods.last(text, now=0).seconds)
    except periods.PeriodError:
        raise argparse.ArgumentTypeError(f"expected a duration such as 1h or 30m, got {text!r}") from None


def _common(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument(
        "--prometheus", metavar="URL", help=f"Prometheus query API (default: ${ENV_URL} or http://localhost:9090)"
    )
    when = parser.add_argument_group("period (UTC; default: this month to date)")
    when.add_argument("--month", metavar="YYYY-MM", help="a calendar month")
    when.add_argument("--last", metavar="D", help="the last 7d, 24h, 2w, 30m, ... up to now")
    when.add_argument("--from", dest="start", metavar="DATE", help="from this date or date-time (inclusive)")
    when.add_argument(
        "--to", dest="end", metavar="DATE", help="to this date-time, or to the end of this date (default: now)"
    )
    parser.add_argument(
        "--filter", action="append", metavar="LABEL=VALUE", help="only series with this label value (repeatable)"
    )
    parser.add_argument("--format", choices=formats, default="table")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument("--lookback", type=duration, default=LOOKBACK, metavar="D",
                        help="a series unseen this long before a day starts began inside it, from zero "
                        "(default: 1h, as the recording rules)")  # fmt: skip
    parser.add_argument(
        "--prices-file", metavar="FILE", help="price override file for the advice (default: $GENAI_COST_PRICES_FILE)"
    )
    parser.add_argument(
        "--candidates", metavar="FILE", help="cheaper-model candidates (JSON or YAML) merged over the bundled list"
    )
    parser.add_argument(
        "--cache-hit-rate",
        type=float,
        default=0.5,
        metavar="R",
        help="hit rate assumed for prompt-caching advice (default: 0.5)",
    )


def add_commands(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="cost per model, team, tenant, ... for a month or any period, from Prometheus",
        description="Calls, tokens by type, cost, cache savings, unpriced calls and errors per group, exact to the "
        "counters, with the change against the previous period, the month-end forecast and budget status.",
    )
    _common(report, REPORT_FORMATS)
    report.add_argument("--by", action="append", metavar="LABELS",
                        help="group by these labels (repeatable or comma-separated; default: provider,model). Aliases: "
                        + ", ".join(f"{k}={v}" for k, v in fig.ALIASES.items()))  # fmt: skip
    report.add_argument("--top", type=int, metavar="N", help="show the N largest groups; the rest as one line")
    report.add_argument("--source", choices=("prometheus", "ledger"), default="prometheus",
                        help="prometheus (the counters; default) or ledger (every call, from the Collector's call "
                        "ledger: groups by any attribute, conversation and user included)")  # fmt: skip
    report.add_argument("--ledger", metavar="PATH_OR_URL",
                        help="with --source ledger: the ledger files' directory or a ClickHouse HTTP URL "
                        "(default: $GENAI_COST_LEDGER)")  # fmt: skip
    report.add_argument(
        "--billing-account", default="genai-cost", metavar="ID", help="FOCUS BillingAccountId (default: genai-cost)"
    )
    report.set_defaults(handler=_runner(run_report))
    advise = commands.add_parser(
        "advise",
        help="what to change to spend less, with a dollar figure for each",
        description="Ranked recommendations (cheaper models, prompt caching, batch API, unpriced models, "
        "reasoning-heavy models), each with its dollar estimate for the period, the arithmetic and the assumptions.",
    )
    _common(advise, ADVISE_FORMATS)
    advise.set_defaults(handler=_runner(run_advise))


def _runner(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        name = f"genai-cost {args.command}"
        logger = logging.getLogger("genai_cost")
        level = logger.level
        logger.setLevel(logging.ERROR)  # price lookups of unknown models would warn once each
        try:
            text = command(args)
        except (UsageError, periods.PeriodError) as error:
            sys.stderr.write(f"{name}: error: {error}\n")
            return 2
        except builder.ReportError as error:
            sys.stderr.write(f"{name}: {error}\n")
            return error.code
        except PrometheusError as error:
            sys.stderr.write(f"{name}: {error}\n")
            return 1
        except ImportError as error:
            sys.stderr.write(
                f"{name}: missing dependency ({error.name}); install it with: pip install 'genai-cost[report]'\n"
            )
            return 2
        finally:
            logger.setLevel(level)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(text)
        else:
            sys.stdout.write(text)
        return 0

    return run
