"""A plain openai app with no OpenTelemetry code that spends $8.67 (at the mock provider), for the
budget alert end-to-end test.

Run it as ``opentelemetry-instrument python budget_app.py``; it reads OPENAI_API_KEY and
OPENAI_BASE_URL like any openai app. Token usage is forced with the mock provider's
``extra_body={"mock": {"usage": ...}}`` control so that the test can price every call by hand:

- 3 x gpt-4.1, 1,000,000 input and 100,000 output tokens: 3 x (1.0 * $2.00 + 0.1 * $8.00) = $8.40
- 1 x gpt-4o-mini, 1,000,000 input and 200,000 output tokens: $0.15 + 0.2 * $0.60 = $0.27

Two users spend it (attribution `user.id`, a counter label under GENAI_COST_METRIC_LABELS=user.id):
u-2002 the first two gpt-4.1 calls ($5.60), u-1001 the third and the gpt-4o-mini call ($3.07).

It prints ``READY`` after the last call and exits on a line (or EOF) on stdin.
"""

from __future__ import annotations

import sys

import openai

import genai_cost


def usage(prompt: int, completion: int) -> dict:
    return {
        "mock": {
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
            }
        }
    }


def main() -> int:
    client = openai.OpenAI()
    messages = [{"role": "user", "content": "Summarise the quarter."}]
    for user in ("u-2002", "u-2002", "u-1001"):
        with genai_cost.attributes({"user.id": user}):
            client.chat.completions.create(model="gpt-4.1", messages=messages, extra_body=usage(1_000_000, 100_000))
    with genai_cost.attributes({"user.id": "u-1001"}):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages, extra_body=usage(1_000_000, 200_000))
    print("READY", flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
