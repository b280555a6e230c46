"""A plain anthropic app with no OpenTelemetry code, for the zero-code test of the anthropic instrumentor.

Run it as ``opentelemetry-instrument python anthropic_app.py``. It reads only what any anthropic app
reads: ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL (the SDK picks both up by itself). It makes three
calls against the local mock provider (a call with forced cache usage, a stream through the
``messages.stream`` helper, a token count), prints ``RESULT {json}`` with what the app itself saw,
then ``READY``, and waits for a line on stdin before it exits with code 0.
"""

from __future__ import annotations

import json
import sys

import anthropic

MODEL = "claude-sonnet-4-5"
USER = [{"role": "user", "content": "What is 10 + 5?"}]
CACHED_USAGE = {
    "input_tokens": 50,
    "cache_read_input_tokens": 3000,
    "cache_creation_input_tokens": 1400,
    "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 400},
    "output_tokens": 200,
    "service_tier": "standard",
}


def main() -> int:
    client = anthropic.Anthropic(max_retries=0)
    seen: dict[str, object] = {}
    message = client.messages.create(
        model=MODEL, max_tokens=100, messages=USER, extra_body={"mock": {"usage": CACHED_USAGE}}
    )
    seen["input_tokens"] = message.usage.input_tokens
    with client.messages.stream(model=MODEL, max_tokens=12, messages=USER) as stream:
        seen["stream_text"] = "".join(stream.text_stream)
    seen["counted"] = client.messages.count_tokens(model=MODEL, messages=USER).input_tokens
    print("RESULT " + json.dumps(seen), flush=True)
    print("READY", flush=True)
    sys.stdin.readline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
