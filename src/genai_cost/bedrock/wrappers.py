"""What Bedrock Runtime's calls are: one patch where botocore makes every API call, routed by
service and operation.

boto3 builds its clients at run time from service models, so no class has a `converse` method to
patch: every call of every client goes through `BaseClient._make_api_call(operation_name,
api_params)` exactly once, retries included. Only bedrock-runtime's four model invocations are
calls; everything else (S3, other operations) passes through after a string comparison.

Results: Converse is a finished dict. InvokeModel's `body` and the two stream operations' event
streams are read by the app later: they are proxied (streams.py) and the call ends when they end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost import endpoints, names
from genai_cost.bedrock import content, extract
from genai_cost.bedrock.streams import Body, EventStream
from genai_cost.instrumentation.api import Api, Patch
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
