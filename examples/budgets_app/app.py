"""A small FastAPI service that hands each request's LLM cost back in a response header and stops
a user who has spent their monthly budget, with genai-cost and no proxy in front of the provider.

    GENAI_COST_BUDGETS_FILE=budgets.yaml opentelemetry-instrument python app.py

- ``GET /ask?question=...`` with an ``X-User-Id`` header: two openai calls (an answer, then a
  streamed one-line summary of it) made inside ``genai_cost.track()``; the response carries
  ``X-LLM-Cost-USD`` (what both calls cost, as their spans say), ``X-LLM-Calls`` and
  ``X-LLM-Unpriced-Calls``;
- a user over their budget (budgets.yaml: $1.00 per user and calendar month) gets ``429`` with the
  budget's figures, and the provider receives nothing.

``genai_cost.attributes({"user.id": ...})`` attributes each call to the request's user, which is what
the per-user budget counts. OPENAI_API_KEY and OPENAI_BASE_URL are read as any openai app reads them
(point OPENAI_BASE_URL at ``python -m genai_cost.mockprovider`` to run it offline). The app listens on
PORT (default: a free port), prints ``LISTENING <port>``, and serves until stopped.
"""

from __future__ import annotations

import os
import socket

import openai
import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse

import genai_cost

app = FastAPI()
client = openai.AsyncOpenAI(max_retries=0)
MODEL = os.environ.get("MODEL", "gpt-4o-mini")


@app.get("/ask")
async def ask(question: str, x_user_id: str = Header("anonymous")) -> JSONResponse:
    try:
        with genai_cost.attributes({"user.id": x_user_id}), genai_cost.track() as usage:
            answer = await client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": question}])
            text = answer.choices[0].message.content or ""
            stream = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": f"Summarise in one line: {text}"}], stream=True
            )
            summary = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    except genai_cost.BudgetExceeded as refusal:
        body = {"error": "budget exceeded", "limit_usd": refusal.limit_usd, "spent_usd": refusal.spend_usd}
        return JSONResponse(body, status_code=429, headers={"Retry-After": "3600"})
    headers = {
        "X-LLM-Cost-USD": repr(usage.cost_usd),
        "X-LLM-Calls": str(usage.calls),
        "X-LLM-Unpriced-Calls": str(usage.unpriced_calls),
    }
    body = {
        "answer": text,
        "summary": summary,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
    }
    return JSONResponse(body, headers=headers)


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", int(os.environ.get("PORT", "0"))))
    sock.listen(64)
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])


if __name__ == "__main__":
    main()
