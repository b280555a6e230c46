"""What an SDK package declares: the families of calls it reads, and the methods it patches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from genai_cost.content import Message, Part
from genai_cost.outcome import Outcome
from genai_cost.providers import Provider


class StreamContent(Protocol):
    """Collects a stream's output for the opt-in content capture."""

    def add(self, item: Any) -> None: ...

    def messages(self) -> list[Message]: ...


class Api(NamedTuple):
    """How one family of an SDK's calls is read. The functions are the SDK package's pure ones."""

    operation: str  # gen_ai.operation.name
    outcome: Callable[[Any, Provider], Outcome] | None = None  # a whole response -> its Outcome
    # The opt-in content capture: the request's (input messages, system instructions), the response's
    # output messages, and a collector of a stream's output.
    request_content: Callable[[Any], tuple[list[Message], list[Part]]] | None = None
    response_content: Callable[[Any], list[Message]] | None = None
    stream_content: Callable[[], StreamContent] | None = None
    streams: bool = False  # every call returns a stream (methods such as generate_content_stream)


class Patch(NamedTuple):
    """One SDK method to wrap: as a call of `api` (None: the SDK's Calls.route picks one per call), or
    with a `wrapper` of its own (a per-request hook that is not a call)."""

    module: str
    method: str  # "Class.method", or a module-level function's name
    api: Api | None = None
    is_async: bool = False
    wrapper: Callable[..., Any] | None = None
