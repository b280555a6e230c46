"""The proxies of Bedrock results the app reads after the call returns.

InvokeModel's `body` is a StreamingBody: the call ends when the app has read it (or, never read,
from the token-count headers when it is closed or collected). The two stream operations return an
EventStream under `stream` / `body`, proxied like every SDK stream: the call ends once, however the
stream ends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import wrapt

from genai_cost.bedrock import extract
from genai_cost.call import Call
from genai_cost.instrumentation.stream import SyncStream


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
