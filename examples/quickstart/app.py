"""A plain openai app with no OpenTelemetry code: the workload of the docker compose quickstart.

Run it under ``opentelemetry-instrument`` and genai-cost does the rest. It talks to whatever
``OPENAI_BASE_URL`` names (in the compose stack: the bundled mock provider, so no API key or
network is needed) and makes one round of calls every ``--interval`` seconds:

- a chat call with a long, repeated system prompt (the provider's prompt cache serves it from the
  second round on: cache-read tokens and savings),
- a streamed chat call (genai-cost asks for the usage chunk and hides it from the app),
- an embedding,
- a reasoning model (reasoning tokens),
- a model no price table knows (counted as unpriced, never $0).

``--rounds N`` stops after N rounds (default: run until stopped).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import openai

SYSTEM_PROMPT = "You are a cost analyst. Answer in one short line. " * 120  # long enough to be cached


def one_round(client: openai.OpenAI, number: int) -> None:
    # The same long prompt every round: from the second round on the provider serves it from its cache.
    cached = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": "Summarise today's spend."}]
    client.chat.completions.create(model="gpt-4o-mini", messages=cached)
    question = {"role": "user", "content": f"Summarise spending report number {number}."}
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[question], stream=True)
    for _chunk in stream:
        pass
    client.embeddings.create(model="text-embedding-3-small", input=f"spending report {number}")
    client.chat.completions.create(model="o4-mini", messages=[question], max_completion_tokens=40)
    client.chat.completions.create(model="acme-internal-7b", messages=[question])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=0, help="stop after this many rounds (0: never)")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    args = parser.parse_args(argv)
    # SIGTERM (docker stop) ends the loop like Ctrl-C, so the SDK flushes its last export on exit.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    client = openai.OpenAI()  # OPENAI_API_KEY and OPENAI_BASE_URL from the environment
    number = 0
    try:
        while args.rounds == 0 or number < args.rounds:
            number += 1
            try:
                one_round(client, number)
            except openai.OpenAIError as error:  # keep going while the provider is not up yet
                print(f"round {number}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            print(f"round {number} done", flush=True)
            if args.rounds == 0 or number < args.rounds:
                time.sleep(args.interval)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
