"""The mock provider without sockets: an httpx2 transport that answers in-process.

The replies are the mock provider's own (same routes, usage formula, `mock` controls, SSE
events), handed to the SDK as bytes; only the loopback HTTP hop is left out, so tests that make
thousands of calls (concurrency, memory) measure genai-cost rather than a local TCP stack.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2

from genai_cost.mockprovider import MockProvider
from genai_cost.mockprovider.core import JsonReply, MockRequest, RawReply, StreamReply


def _sse(reply: StreamReply) -> bytes:
    parts = []
    for event in reply.events:
        data = event.data if isinstance(event.data, str) else json.dumps(event.data, separators=(",", ":"))
        head = f"event: {event.event}\n" if event.event else ""
        parts.append(f"{head}data: {data}\n\n".encode())
    return b"".join(parts)


def in_process(provider: MockProvider) -> httpx2.MockTransport:
    """A transport serving `provider`'s replies (the provider need not be started)."""
    wire = provider._format

    def answer(request: httpx2.Request) -> httpx2.Response:
        body: Any = json.loads(request.content) if request.content else {}
        route, deployment = wire.normalize_path(request.url.path, dict(request.url.params))
        req = MockRequest(
            method=request.method,
            path=request.url.path,
            route=route,
            query=dict(request.url.params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body if isinstance(body, dict) else {},
            deployment=deployment,
        )
        reply = provider._dispatch(req)
        if isinstance(reply, StreamReply):
            return httpx2.Response(reply.status, content=_sse(reply), headers={"content-type": "text/event-stream"})
        if isinstance(reply, RawReply):
            return httpx2.Response(reply.status, content=reply.body, headers={"content-type": reply.content_type})
        assert isinstance(reply, JsonReply), reply
        return httpx2.Response(reply.status, json=reply.body, headers=dict(reply.headers))

    return httpx2.MockTransport(answer)
