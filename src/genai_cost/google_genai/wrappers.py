"""What the google-genai SDK's calls are: the public methods, one span each, and the per-request
methods whose responses carry each HTTP request's usage (see http_requests.py)."""

from __future__ import annotations

from typing import Any

from genai_cost import endpoints, names
from genai_cost.call import Call
from genai_cost.fields import field
from genai_cost.google_genai import content, extract, http_requests
from genai_cost.google_genai.http_requests import Requests
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.wrapper import Calls, Request, Run, capturing, finish

_GEMINI = "gcp.gemini"
_VERTEX = "gcp.vertex_ai"
_MODULE = "google.genai.models"

_CONTENT: dict[str, Any] = dict(
    request_content=content.request_content,
    response_content=content.response_content,
    stream_content=content.StreamContent,
)
GENERATE = Api(names.OP_GENERATE_CONTENT, **_CONTENT)
GENERATE_STREAM = Api(names.OP_GENERATE_CONTENT, streams=True, **_CONTENT)
EMBED = Api(names.OP_EMBEDDINGS, lambda response, _provider: extract.embed_outcome(response))

PATCHES = (
    # The logical calls, one span each (`Chat.send_message*` goes through them).
    Patch(_MODULE, "Models.generate_content", GENERATE),
    Patch(_MODULE, "Models.generate_content_stream", GENERATE_STREAM),
    Patch(_MODULE, "Models.embed_content", EMBED),
    Patch(_MODULE, "AsyncModels.generate_content", GENERATE, is_async=True),
    Patch(_MODULE, "AsyncModels.generate_content_stream", GENERATE_STREAM, is_async=True),
    Patch(_MODULE, "AsyncModels.embed_content", EMBED, is_async=True),
    # One HTTP request each: they only report to the current logical call.
    Patch(_MODULE, "Models._generate_content", wrapper=http_requests.request),
    Patch(_MODULE, "Models._generate_content_stream", wrapper=http_requests.stream_request),
    Patch(_MODULE, "AsyncModels._generate_content", wrapper=http_requests.async_request),
    Patch(_MODULE, "AsyncModels._generate_content_stream", wrapper=http_requests.async_stream_request),
)


def model_name(model: Any) -> str | None:
    """'models/gemini-2.5-flash', 'publishers/google/models/x', 'projects/.../models/x' -> the id."""
    if not isinstance(model, str) or not model:
        return None
    if "models/" in model:
        return model.rsplit("models/", 1)[-1]
    if model.startswith("google/"):
        return model[len("google/") :]
    return model


class _Run(Run):
    """A call whose HTTP requests report their responses while it is current."""

    __slots__ = ("requests", "tier", "_token")

    def enter(self) -> None:
        self._token = http_requests.current.set(self.requests)
        self.call.activate()

    def exit(self) -> None:
        self.call.deactivate()
        http_requests.current.reset(self._token)

    def failed(self, error: BaseException) -> None:
        self.call.end_failed(error, lambda: self.requests.reported(self.tier))


class GoogleGenAICalls(Calls):
    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        client = instance._api_client
        endpoint = endpoints.endpoint_for(client._http_options.base_url, _VERTEX if client.vertexai else _GEMINI)
        return Request(endpoint, model_name(kwargs.get("model")), api.streams, kwargs)

    def run(self, call: Call, api: Api, request: Request, args: Any, kwargs: Any) -> Run:
        run = _Run(self, call, api, args, kwargs)
        run.requests, run.tier = Requests(), field(kwargs.get("config"), "service_tier")
        return run

    def result(self, run: Run, result: Any) -> Any:
        assert isinstance(run, _Run)
        if run.api is EMBED:
            return finish(run, result)
        if run.api.streams:  # a generator: its requests are made while the app reads it
            accumulator = capturing(run, http_requests.StreamAccumulator(run.requests, run.tier))
            proxy = http_requests.AsyncGeminiStream if hasattr(result, "__anext__") else http_requests.GeminiStream
            return proxy(result, run.call, accumulator, run.requests)
        call, requests, tier = run.call, run.requests, run.tier
        finish(run, result)  # the response's content, for the opt-in capture
        call.end(lambda: requests.outcome(result, tier))
        return result


CALLS = GoogleGenAICalls()
