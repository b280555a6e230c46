"""Raw responses (`with_raw_response`, `with_streaming_response`): the call ends when the app
parses the body, or, never parsed, when the proxy is collected (without usage: nothing was read)."""

from __future__ import annotations

from typing import Any

import wrapt

from genai_cost.instrumentation.stream import NO_USAGE
from genai_cost.instrumentation.wrapper import Run


class RawResponse(wrapt.ObjectProxy):
    def __init__(self, wrapped: Any, run: Run) -> None:
        super().__init__(wrapped)
        self._self_run = run
        self._self_parsed = False

    def _self_on_parsed(self, parsed: Any, kwargs: dict[str, Any]) -> Any:
        # parse(to=...) reads the body into the app's own type: not the SDK's model, nothing to read.
        if self._self_parsed or self._self_run.call.done or kwargs.get("to") is not None:
            return parsed
        self._self_parsed = True
        return self._self_run.returned(parsed)

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_on_parsed(self.__wrapped__.parse(*args, **kwargs), kwargs)

    def __del__(self) -> None:
        call = self._self_run.call
        if not self._self_parsed and not call.done:
            call.end(NO_USAGE.outcome)


class AsyncRawResponse(RawResponse):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_on_parsed(await self.__wrapped__.parse(*args, **kwargs), kwargs)
