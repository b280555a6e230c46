"""The calls of genai_app.py, made on command for given users and conversations, for the ledger test.

Run it as ``opentelemetry-instrument python ledger_app.py``. Each stdin line
``calls SDK USER TENANT CONVERSATION`` (SDK: openai, anthropic or google_genai) makes that SDK's
calls of genai_app.py inside ``genai_cost.attributes`` with ``user.id``, ``tenant.id`` and
``gen_ai.conversation.id``, then prints ``DONE SDK``; ``exit`` (or EOF) ends the app.
"""

from __future__ import annotations

import sys

import genai_app

import genai_cost

CALLS = {
    "openai": genai_app.openai_calls,
    "anthropic": genai_app.anthropic_calls,
    "google_genai": genai_app.google_genai_calls,
}


def main() -> int:
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "exit":
            break
        _, sdk, user, tenant, conversation = words
        with genai_cost.attributes({"user.id": user, "tenant.id": tenant, "gen_ai.conversation.id": conversation}):
            CALLS[sdk]({})
        print(f"DONE {sdk}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
