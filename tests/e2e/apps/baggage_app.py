"""A FastAPI service with no OpenTelemetry code, for the baggage end-to-end test.

Run it as ``opentelemetry-instrument python baggage_app.py``: the FastAPI instrumentation (loaded
by its entry point) reads the ``baggage`` header of each incoming request, and genai-cost copies
the allow-listed entries onto the span and counters of the openai call the request makes.

- ``GET /answer?prompt=&completion=``: an async openai call (AsyncOpenAI);
- ``GET /report?prompt=&completion=``: a sync endpoint (run in a worker thread) whose call is made
  inside ``genai_cost.attributes(feature="report")``, the one-line API, which overrides the
  ``feature`` baggage entry.

Token usage is forced through the mock provider's ``extra_body={"mock": {"usage": ...}}`` control.
The app binds a free loopback port, prints ``LISTENING <port>`` and serves until it is stopped.
"""

from __future__ import annotations

import socket

import openai
import uvicorn
from fastapi import FastAPI

import genai_cost

app = FastAPI()
async_client = openai.AsyncOpenAI(max_retries=0)  # OPENAI_API_KEY, OPENAI_BASE_URL from the environment
sync_client = openai.OpenAI(max_retries=0)
MESSAGES = [{"role": "user", "content": "Summarise this ticket."}]


def forced(prompt: int, completion: int) -> dict:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return {"mock": {"usage": usage}}


@app.get("/answer")
async def answer(prompt: int, completion: int) -> dict:
    result = await async_client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_body=forced(prompt, completion)
    )
    return {"prompt_tokens": result.usage.prompt_tokens}


@app.get("/report")
def report(prompt: int, completion: int) -> dict:
    with genai_cost.attributes(feature="report"):
        result = sync_client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_body=forced(prompt, completion)
        )
    return {"prompt_tokens": result.usage.prompt_tokens}


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections queue until uvicorn accepts them
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])


if __name__ == "__main__":
    main()
