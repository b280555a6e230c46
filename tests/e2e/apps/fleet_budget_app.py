"""A plain openai app, with no OpenTelemetry or genai-cost code, for the fleet budget end-to-end test.

Run it as ``opentelemetry-instrument python fleet_budget_app.py``. It prints ``READY``, then reads
commands on stdin, one a line:

- ``call N``: one gpt-4.1 chat call whose usage the mock provider is told to report as N input and
  0 output tokens (N * $2.00 per million); prints ``OK`` or, when a budget refuses it,
  ``BLOCKED <scope> <spend_usd> <limit_usd>``;
- ``exit``: ends the process.
"""

from __future__ import annotations

import sys

import openai

import genai_cost


def usage(prompt: int) -> dict:
    return {
        "mock": {
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": 0,
                "total_tokens": prompt,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
            }
        }
    }


def main() -> int:
    client = openai.OpenAI(max_retries=0)
    messages = [{"role": "user", "content": "Summarise the quarter."}]
    print("READY", flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "exit":
            break
        try:
            client.chat.completions.create(model="gpt-4.1", messages=messages, extra_body=usage(int(argument)))
            print("OK", flush=True)
        except genai_cost.BudgetExceeded as refusal:
            print(f"BLOCKED {refusal.scope} {refusal.spend_usd!r} {refusal.limit_usd!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
