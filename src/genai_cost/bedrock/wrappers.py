"""What Bedrock Runtime's calls are: one patch where botocore makes every API call, routed by
service and operation.

boto3 builds its clients at run time from service models, so no class has a `converse` method to
patch: every call of every client goes through `BaseClient._make_api_call(operation_name,
api_params)` exactly once, retries included. Only bedrock-runtime's four model invocations are
calls; everything else (S3, other operations) passes through after a string comparison.

Results: Converse is a finished dict. InvokeModel's `body` is a StreamingBody the app reads later,
so it is proxied and the call ends when the app has read it (or, never read, from the token-count
headers when it is closed or collected). The two stream operations return an EventStream under
`stream` / `body`, proxied like every SDK stream: the call ends once, however the stream ends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import wrapt

from genai_cost import endpoints, names
from genai_cost.bedrock import content, extract
from genai_cost.call import Call
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.stream import SyncStream
from genai_cost.instrumentation.wrapper import Calls, Request, Run, capturing, finish

SERVICE = "bedrock-runtime"
_PROVIDER = "aws.bedrock"
_CONVERSE_CONTENT: dict[str, Any] = dict(request_content=content.request_content)

CONVERSE = Api(names.OP_CHAT, response_content=content.response_content, **_CONVERSE_CONTENT)
CONVERSE_STREAM = Api(names.OP_CHAT, stream_content=content.StreamContent, streams=True, **_CONVERSE_CONTENT)
INVOKE = Api(names.OP_CHAT)
INVOKE_EMBEDDING = Api(names.OP_EMBEDDINGS)
INVOKE_STREAM = Api(names.OP_CHAT, streams=True)

_OPERATIONS = {
    "Converse": CONVERSE,
    "ConverseStream": CONVERSE_STREAM,
    "InvokeModel": INVOKE,
    "InvokeModelWithResponseStream": INVOKE_STREAM,
}

PATCHES = (Patch("botocore.client", "BaseClient._make_api_call"),)


def _params(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Mapping[str, Any]:
    params = args[1] if len(args) > 1 else kwargs.get("api_params")
    return params if isinstance(params, Mapping) else {}


def _headers(response: Any) -> Mapping[str, Any] | None:
    return response.get("ResponseMetadata", {}).get("HTTPHeaders") if isinstance(response, dict) else None


class BedrockCalls(Calls):
    def route(self, instance: Any, args: Any, kwargs: Any) -> Api | None:
        operation = args[0] if args else kwargs.get("operation_name")
        api = _OPERATIONS.get(operation)  # type: ignore[arg-type]
        if api is None or instance.meta.service_model.service_name != SERVICE:
            return None
        if api is INVOKE and "embed" in str(_params(args, kwargs).get("modelId", "")):
            return INVOKE_EMBEDDING
        return api

    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        params = _params(args, kwargs)
        model = params.get("modelId")
        endpoint = endpoints.endpoint_for(instance.meta.endpoint_url, default=_PROVIDER)
        return Request(endpoint, model if isinstance(model, str) else None, api.streams, params)

    def result(self, run: Run, result: Any) -> Any:
        model, api = run.call.request_model, run.api
        if api is CONVERSE:
            finish(run, result)  # the opt-in content capture
            run.call.end(lambda: extract.converse_outcome(result, model))
        elif api is CONVERSE_STREAM:
            accumulator = capturing(run, extract.ConverseStreamAccumulator(model))
            result["stream"] = EventStream(result["stream"], run.call, accumulator)
        elif api is INVOKE_STREAM:
            result["body"] = EventStream(result["body"], run.call, extract.InvokeStreamAccumulator(model))
        else:
            result["body"] = Body(result["body"], run.call, _headers(result))
        return result


CALLS = BedrockCalls()


class EventStream(SyncStream):
    """botocore's EventStream is iterable, neither an iterator nor a context manager: its items come
    from one iterator, and the proxy refuses `next()` and `with` as botocore's stream does, so that
    an app that works instrumented works without genai-cost too."""

    def _self_next_item(self, wrapped: Any) -> Any:
        return iter(wrapped).__next__

    def __next__(self) -> Any:
        raise TypeError(f"{type(self.__wrapped__).__name__!r} object is not an iterator")


class Body(wrapt.ObjectProxy):
    """InvokeModel's StreamingBody: the call ends with the body's usage once the app has read it all."""

    def __init__(self, wrapped: Any, call: Call, headers: Mapping[str, Any] | None) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_headers = headers
        self._self_read: list[bytes] = []

    def read(self, amt: int | None = None) -> bytes:
        try:
            data = self.__wrapped__.read(amt)
        except BaseException as error:
            self._self_call.end_failed(error, lambda: self._self_outcome(None))
            raise
        if not self._self_call.done:
            self._self_read.append(data)
            if amt is None or not data:
                self._self_call.end(lambda: self._self_outcome(b"".join(self._self_read)))
        return data

    def _self_outcome(self, data: bytes | None) -> Any:
        try:
            body = json.loads(data) if data else None
        except ValueError:  # not JSON: the headers still say what was billed
            body = None
        return extract.invoke_outcome(body, self._self_headers, self._self_call.request_model)

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_call.end(lambda: self._self_outcome(None))

    def __del__(self) -> None:
        call = self._self_call
        if not call.done:
            call.end(lambda: self._self_outcome(None))
