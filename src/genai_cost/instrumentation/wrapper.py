"""One wrapper for every patched SDK method: start a call, run the SDK, end the call exactly once.

An SDK package subclasses `Calls` to say how its requests are read (`request`), where a call goes
(`route`, for a method that serves several APIs) and what its results are (`result`: a response to
record, or a stream or raw response to hand back as a proxy). Everything else is here: suppression,
starting the span, the opt-in request capture, the span made current while the SDK sends, failures
recorded and re-raised untouched, and no error of genai-cost's ever reaching the app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from genai_cost import watch
from genai_cost.budgets import BudgetExceeded
from genai_cost.call import Call, current_call
from genai_cost.endpoints import Endpoint
from genai_cost.handler import Telemetry
from genai_cost.instrumentation import capture
from genai_cost.instrumentation.api import Api
from genai_cost.instrumentation.stream import Accumulator, AsyncStream, SyncStream

logger = logging.getLogger("genai_cost")


@dataclass(slots=True)
class Request:
    """What a request says before it is sent."""

    endpoint: Endpoint
    model: str | None
    stream: bool = False
    content: Any = None  # what the Api's request_content reads (keyword arguments, a body)
    conversation_id: str | None = None  # gen_ai.conversation.id, when the request names one


class Run:
    """One call while its SDK method runs. `Calls.run` may return a subclass that does more around
    the SDK (google-genai's per-request usage) or sends other arguments (openai's stream usage)."""

    __slots__ = ("calls", "call", "api", "args", "kwargs")

    def __init__(self, calls: Calls, call: Call, api: Api, args: Any, kwargs: Any) -> None:
        self.calls = calls
        self.call = call
        self.api = api
        self.args = args
        self.kwargs = kwargs

    def enter(self) -> None:
        self.call.activate()

    def exit(self) -> None:
        self.call.deactivate()

    def failed(self, error: BaseException) -> None:
        self.call.end_failed(error)

    def returned(self, result: Any) -> Any:
        try:
            return self.calls.result(self, result)
        except Exception:
            logger.debug("genai-cost: could not read a result", exc_info=True)
            return result


class Calls:
    """How one SDK's calls are read; an SDK package subclasses it."""

    def route(self, instance: Any, args: Any, kwargs: Any) -> Api | None:
        """The Api of a call through a patch declared without one; None: not a call, pass it through."""
        return None

    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        raise TypeError(f"{type(self).__name__} must say how its requests are read")

    def run(self, call: Call, api: Api, request: Request, args: Any, kwargs: Any) -> Run:
        return Run(self, call, api, args, kwargs)

    def result(self, run: Run, result: Any) -> Any:
        """Record a finished call (the default: `result` is the response) or hand back a proxy."""
        return finish(run, result)

    def passthrough(self, result: Any, telemetry: Telemetry, instance: Any, args: Any, kwargs: Any) -> Any:
        """What a routed method returns when it is not a call (anthropic's batch results)."""
        return result


def finish(run: Run, response: Any) -> Any:
    """End a call with what its whole response says; the response goes back to the app as it is."""
    call, api = run.call, run.api
    if call.captures_content:
        capture.record_response(call, api, response)
    outcome = api.outcome
    if outcome is not None:
        call.end(lambda: outcome(response, call.endpoint.provider))
    return response


def capturing(run: Run, accumulator: Accumulator) -> Accumulator:
    """`accumulator`, collecting the stream's output too when the user opted in to content capture."""
    call, api = run.call, run.api
    if call.captures_content and api.stream_content is not None:
        return capture.CapturingAccumulator(accumulator, call, api.stream_content())
    return accumulator


def proxy_stream(run: Run, stream: Any, accumulator: Accumulator, is_async: bool) -> Any:
    """Hand the app a proxy of the SDK's stream that ends the call when the stream ends."""
    proxy = AsyncStream if is_async else SyncStream
    return proxy(stream, run.call, capturing(run, accumulator))


def start(telemetry: Telemetry, calls: Calls, api: Api, instance: Any, args: Any, kwargs: Any) -> Run | None:
    """Begin a call; None (call the SDK untouched) when suppressed or when anything goes wrong."""
    if not is_instrumentation_enabled():
        return None
    try:
        request = calls.request(api, instance, args, kwargs)
        outer = current_call()
        if outer is not None:  # made by a library genai-cost measures too: recorded once, by that call
            call = outer.nested(api.operation, request.endpoint, request.model)
        else:
            conversation = request.conversation_id
            call = telemetry.start(api.operation, request.endpoint, request.model, request.stream, conversation)
            watch.begin(call)  # budgets: BudgetExceeded here, before anything is sent
        if call.captures_content:
            capture.record_request(call, api, request.content)
        return calls.run(call, api, request, args, kwargs)
    except BudgetExceeded:
        raise
    except Exception:
        logger.debug("genai-cost: could not start a span", exc_info=True)
        return None


def make_wrapper(telemetry: Telemetry, calls: Calls, api: Api | None, is_async: bool) -> Callable[..., Any]:
    """The wrapt wrapper of one patched method. Sync and async differ only by `await`."""
    if is_async:

        async def async_wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
            target = api if api is not None else calls.route(instance, args, kwargs)
            if target is None:
                return calls.passthrough(await wrapped(*args, **kwargs), telemetry, instance, args, kwargs)
            run = start(telemetry, calls, target, instance, args, kwargs)
            if run is None:
                return await wrapped(*args, **kwargs)
            run.enter()
            try:
                result = await wrapped(*run.args, **run.kwargs)
            except BaseException as error:
                run.failed(error)
                raise
            finally:
                run.exit()
            return run.returned(result)

        return async_wrapper

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        target = api if api is not None else calls.route(instance, args, kwargs)
        if target is None:
            return calls.passthrough(wrapped(*args, **kwargs), telemetry, instance, args, kwargs)
        run = start(telemetry, calls, target, instance, args, kwargs)
        if run is None:
            return wrapped(*args, **kwargs)
        run.enter()
        try:
            result = wrapped(*run.args, **run.kwargs)
        except BaseException as error:
            run.failed(error)
            raise
        finally:
            run.exit()
        return run.returned(result)

    return wrapper
