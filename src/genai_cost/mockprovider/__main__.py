"""``python -m genai_cost.mockprovider``: run the mock provider in the foreground."""

from __future__ import annotations

import argparse
import signal
import threading

from .server import MockProvider
from .tokens import FLAVORS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genai_cost.mockprovider",
        description="Run the deterministic mock LLM provider in the foreground until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--flavor", default="openai", choices=FLAVORS)
    parser.add_argument("--records", help="realdata-format JSONL file for mock.replay")
    parser.add_argument("--timeout-delay", type=float, default=5.0, help="seconds a timeout request waits")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)

    # Treat SIGTERM like Ctrl-C so process managers get the same clean shutdown.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    provider = MockProvider(args.host, args.port, args.flavor, args.records, args.timeout_delay)
    provider.log_requests = not args.quiet
    provider.start()
    print(provider.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
