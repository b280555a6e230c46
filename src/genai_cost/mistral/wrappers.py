"""What the mistralai SDK's calls are: chat complete and stream (sync and async) and embeddings.

The SDK's classes moved between major versions: `mistralai.chat.Chat` in 1.x, `mistralai.client.chat.Chat`
from 2.0. Both are declared; only the modules the installed SDK has are ever imported, so only those
are patched. `chat.parse*` call `complete` / `stream` and are measured there.
"""

from __future__ import annotations

from typing import Any

from genai_cost import endpoints, names
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.wrapper import Calls, Request, Run, finish, proxy_stream
from genai_cost.mistral import content, extract

_PROVIDER = "mistral_ai"
_CONTENT: dict[str, Any] = dict(request_content=content.request_content, response_content=content.response_content)

CHAT = Api(names.OP_CHAT, extract.chat_outcome, **_CONTENT)
CHAT_STREAM = Api(names.OP_CHAT, stream_content=content.StreamContent, streams=True, **_CONTENT)
EMBEDDINGS = Api(names.OP_EMBEDDINGS, extract.embeddings_outcome)


PATCHES = tuple(
    patch
    for root in ("mistralai.client", "mistralai")  # 2.0 and later; 1.x (package.py: only one exists)
    for patch in (
        Patch(f"{root}.chat", "Chat.complete", CHAT),
        Patch(f"{root}.chat", "Chat.complete_async", CHAT, is_async=True),
        Patch(f"{root}.chat", "Chat.stream", CHAT_STREAM),
        Patch(f"{root}.chat", "Chat.stream_async", CHAT_STREAM, is_async=True),
        Patch(f"{root}.embeddings", "Embeddings.create", EMBEDDINGS),
        Patch(f"{root}.embeddings", "Embeddings.create_async", EMBEDDINGS, is_async=True),
    )
)


class MistralCalls(Calls):
    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        url = instance.sdk_configuration.get_server_details()[0]
        model = kwargs.get("model")
        endpoint = endpoints.endpoint_for(url, default=_PROVIDER)
        return Request(endpoint, model if isinstance(model, str) else None, api.streams, kwargs)

    def result(self, run: Run, result: Any) -> Any:
        if run.api is CHAT_STREAM:
            accumulator = extract.StreamAccumulator(run.call.endpoint.provider)
            return proxy_stream(run, result, accumulator, hasattr(result, "__anext__"))
        return finish(run, result)


CALLS = MistralCalls()
