"""The `genai-cost` command: one subcommand per job (`demo`, `prices show|check`, `cost`,
`stack`, `report`, `advise`).

Each subcommand module is imported only when it runs, so the library itself never needs the
demo's extra dependencies (openai, the OTel SDK, the Prometheus exporter).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from genai_cost.version import __version__


def _run_demo(args: argparse.Namespace) -> int:
    try:
        from genai_cost import demo
    except ImportError as error:
        print(
            f"genai-cost demo: missing dependency ({error.name}); install it with: pip install 'genai-cost[demo]'",
            file=sys.stderr,
        )
        return 2
    return demo.run(port=args.port, serve=args.serve)


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help=(
            "run 35 real SDK calls (openai, anthropic, google-genai, boto3 Bedrock, mistralai) against the "
            "bundled mock provider; show the cost"
        ),
        description=(
            "Start the bundled mock provider on loopback (OpenAI, xAI, OpenRouter, Anthropic, Gemini, Bedrock and "
            "Mistral wire formats), instrument the openai, anthropic, google-genai, boto3 and mistralai SDKs with "
            "genai-cost and a real OpenTelemetry SDK, and run a workload of 35 calls through them: openai chat "
            "(sync and async, streams), Responses, embeddings, a legacy completion, cached prompts, reasoning "
            "models, an xAI and an OpenRouter call; anthropic prompt-cache write then read and a thinking "
            "stream; google-genai implicit cache, a thinking stream and an embedding; for each of those an "
            "unpriced model and an error; "
            "Bedrock Converse through an inference profile (cache write then read) and a Llama stream; a Mistral "
            "chat and stream. "
            "Then print cost and tokens per provider and model as read back from the live Prometheus endpoint. "
            "Fully offline; no API key needed."
        ),
    )
    parser.add_argument(
        "--port",
        type=int,
        default=9464,
        metavar="PORT",
        help="port of the Prometheus endpoint on 127.0.0.1 (default: %(default)s; 0 picks a free port)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="keep serving the metrics endpoint after the run, until Ctrl-C or SIGTERM",
    )
    parser.set_defaults(handler=_run_demo)


def _add_price_tools(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from genai_cost import price_tool

    price_tool.add_commands(commands, price_tool.runner)


def _run_stack(args: argparse.Namespace) -> int:
    from genai_cost import stack

    try:
        written = stack.write(args.directory, force=args.force)
    except (stack.StackError, OSError) as error:
        print(f"genai-cost stack: {error}", file=sys.stderr)
        return 1
    for relative in written:
        print(args.directory / relative)
    return 0


def _add_stack(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "stack",
        help="write the Collector, Prometheus, Grafana and docker compose files into a folder",
        description=(
            "Write the deployment assets shipped with genai-cost into DIRECTORY: collector/ (Collector "
            "configs, builder manifest, build script), prometheus/ (rules, budgets, Alertmanager example), "
            "grafana/ (dashboards, provisioning) and examples/ (docker compose stack, quickstart app). "
            "Start the stack with: cd DIRECTORY/examples && docker compose up"
        ),
    )
    parser.add_argument("directory", type=Path, metavar="DIRECTORY", help="target folder (created if needed)")
    parser.add_argument("--force", action="store_true", help="overwrite files that exist with other content")
    parser.set_defaults(handler=_run_stack)


def _add_reports(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from genai_cost.report import command

    command.add_commands(commands)


def _add_ledger(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from genai_cost.ledger import commands as ledger_commands

    ledger_commands.add_commands(commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genai-cost", description="USD cost and token telemetry for LLM calls, on OpenTelemetry."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_price_tools(commands)
    _add_stack(commands)
    _add_reports(commands)
    _add_ledger(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
