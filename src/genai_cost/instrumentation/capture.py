"""The opt-in content capture around a call: request, response and stream output, never raising."""

from __future__ import annotations

import logging
from typing import Any

from genai_cost.call import Call
from genai_cost.instrumentation.api import Api, StreamContent
from genai_cost.instrumentation.stream import Accumulator
from genai_cost.outcome import Outcome

logger = logging.getLogger("genai_cost")


def record_request(call: Call, api: Api, request: Any) -> None:
    if api.request_content is None:
        return
    try:
        messages, system = api.request_content(request)
        call.record_content(input_messages=messages, system_instructions=system)
    except Exception:
        logger.debug("genai-cost: could not read request content", exc_info=True)


def record_response(call: Call, api: Api, response: Any) -> None:
    if api.response_content is None:
        return
    try:
        call.record_content(output_messages=api.response_content(response))
    except Exception:
        logger.debug("genai-cost: could not read response content", exc_info=True)


class CapturingAccumulator:
    """A stream's output for the opt-in content capture; `inner` reads the usage, as without it."""

    __slots__ = ("inner", "call", "content")

    def __init__(self, inner: Accumulator, call: Call, content: StreamContent) -> None:
        self.inner = inner
        self.call = call
        self.content = content

    def add(self, item: Any) -> bool:
        try:
            self.content.add(item)
        except Exception:  # never at the cost of the usage the inner accumulator reads
            logger.debug("genai-cost: could not read stream content", exc_info=True)
        return self.inner.add(item)

    def outcome(self) -> Outcome:
        try:
            self.call.record_content(output_messages=self.content.messages())
        except Exception:
            logger.debug("genai-cost: could not read stream content", exc_info=True)
        return self.inner.outcome()
