"""One GenAI call in flight, from its span's start to its end: priced, counted and recorded once.

A wrapper starts a call with `Telemetry.start` (handler.py) and ends it exactly once: `end` with
what an extractor reads off the response, or `end_failed` with the error and what the provider had
already reported. Both never raise: nothing here may break the host app's call.

A call made while another one's SDK method runs (LiteLLM calling the openai SDK) is part of that
logical call: it is `nested` in the outer call, has no span and counts nothing, and hands what it
read to the outer call, which records the call once (see nesting.py for what it takes from it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from genai_cost import content, names, nesting, spans
from genai_cost.endpoints import Endpoint
from genai_cost.errors import error_type_of
from genai_cost.outcome import Outcome
from genai_cost.pricing import price_outcome

if TYPE_CHECKING:
    from genai_cost.handler import Telemetry
    from genai_cost.watch import Watch

logger = logging.getLogger("genai_cost")

# The call whose SDK method is running in this context (set while it is active).
_current: ContextVar[Call | None] = ContextVar("genai_cost_current_call", default=None)


def current_call() -> Call | None:
    """The call an SDK method started now would be made inside, if any."""
    return _current.get()


class Call:
    """One GenAI call in flight: ends exactly once, by `finish` or `fail`."""

    __slots__ = (
        "telemetry", "span", "operation", "endpoint", "request_model", "labels", "captures_content",
        "started", "done", "_token", "attribution", "watch", "outer", "inner", "_current_token",
    )  # fmt: skip

    def __init__(
        self,
        telemetry: Telemetry,
        span: trace.Span,
        operation: str,
        endpoint: Endpoint,
        request_model: str,
        labels: tuple[str, ...] = (),
        captures_content: bool = False,
        attribution: Mapping[str, str] | None = None,
    ):
        self.telemetry = telemetry
        self.span = span
        self.operation = operation
        self.endpoint = endpoint
        self.request_model = request_model
        self.labels = labels  # attribution label values of the counters, after the guard
        # The user opted in to prompt and completion text (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT).
        self.captures_content = captures_content
        self.started = time.perf_counter()
        self.done = False
        self._token: object | None = None
        self.attribution = attribution  # who spent it, resolved once at the start
        self.watch: Watch | None = None  # what the app asked to see of this call (watch.py), if anything
        self.outer: Call | None = None  # set on a nested call: the call it is part of
        self.inner: list[Outcome] = []  # what the calls nested in this one read
        self._current_token: Any = None

    def nested(self, operation: str, endpoint: Endpoint, request_model: str | None) -> Call:
        """A call made inside this one: no span, no counts; it reports its outcome to this call."""
        call = Call(self.telemetry, self.span, operation, endpoint, request_model or "", self.labels)
        call.outer = self
        return call

    def activate(self) -> None:
        """Make the span current while the SDK sends the request (HTTP spans nest under it), and
        this call the one other calls are made inside."""
        if self.outer is not None:
            return
        self._token = otel_context.attach(trace.set_span_in_context(self.span))
        self._current_token = _current.set(self)

    def deactivate(self) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
            _current.reset(self._current_token)
            self._token = self._current_token = None

    # --- ending the call ---------------------------------------------------------------------
    def end(self, read_outcome: Callable[[], Outcome]) -> None:
        """`finish` with what `read_outcome` reads off the response; for wrappers, never raises.

        A response that cannot be read still ends the call, without usage (`no_usage`)."""
        try:
            self.finish(read_outcome())
        except Exception:
            logger.debug("genai-cost: could not record a call", exc_info=True)
            if not self.done:
                try:
                    self.finish(Outcome(usage=None))
                except Exception:
                    logger.debug("genai-cost: could not end a call", exc_info=True)

    def end_failed(self, error: BaseException, read_reported: Callable[[], Outcome | None] | None = None) -> None:
        """`fail` with what `read_reported` says the provider had reported; for wrappers, never raises."""
        reported = None
        if read_reported is not None:
            try:
                reported = read_reported()
            except Exception:
                logger.debug("genai-cost: could not read a failed call's usage", exc_info=True)
        try:
            self.fail(error, reported)
        except Exception:
            logger.debug("genai-cost: could not record a failed call", exc_info=True)

    def finish(self, outcome: Outcome) -> None:
        if self.done:
            return
        self.done = True
        if self.outer is not None:
            self.outer.inner.append(outcome)
            return
        if self.inner:
            outcome = nesting.merged(outcome, self.inner) or outcome
        elapsed = time.perf_counter() - self.started
        response_model = outcome.response_model or ""
        attributes, tokens = self._account(outcome, response_model, elapsed, failed=False)
        self.telemetry.instruments.record(
            elapsed, tokens, self.operation, self.endpoint, self.request_model, response_model
        )
        if self.watch is not None:
            self.watch.ended(self, attributes, elapsed)
        span = self.span
        span.set_attributes(attributes)
        span.end()

    def fail(self, error: BaseException, outcome: Outcome | None = None) -> None:
        """End a failed call. `outcome`: what the provider had already reported when the call
        failed (a stream broken after its usage, an automatic-function-calling call whose later
        request failed); its usage is counted and priced like a finished call's, never estimated,
        and the span keeps error.type."""
        if self.done:
            return
        self.done = True
        if self.outer is not None:  # usage billed before the failure still counts, in the outer call
            if outcome is not None:
                self.outer.inner.append(outcome)
            return
        if self.inner:
            outcome = nesting.merged(outcome, self.inner)
        elapsed = time.perf_counter() - self.started
        error_type = error_type_of(error)
        response_model = ""
        attributes: dict[str, Any] = {}
        tokens = None
        if outcome is not None:
            response_model = outcome.response_model or ""
            attributes, tokens = self._account(outcome, response_model, elapsed, failed=True)
        self.telemetry.instruments.record(
            elapsed, tokens, self.operation, self.endpoint, self.request_model, response_model, error_type
        )
        attributes[names.ERROR_TYPE] = error_type
        if self.watch is not None:
            self.watch.ended(self, attributes, elapsed)
        span = self.span
        span.set_attributes(attributes)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    def _account(
        self, outcome: Outcome, response_model: str, elapsed: float, failed: bool
    ) -> tuple[dict[str, Any], tuple[int, int] | None]:
        """Span attributes of an outcome, its usage priced and added to the counters; and the
        (input, output) tokens for the token-usage histogram, None when there are none to record.

        A failed call without usage is not unpriced: nothing was reported, nothing is counted.
        """
        telemetry = self.telemetry
        key = (self.operation, self.endpoint.provider.name, self.request_model, response_model, self.labels)
        attributes = spans.response_attributes(outcome, response_model)
        usage = outcome.usage
        if usage is not None and not outcome.billable:
            attributes[names.USAGE_INPUT_TOKENS] = usage.input_tokens
        elif usage is None:
            if not outcome.pending and not failed:
                attributes[names.UNPRICED_REASON] = names.UNPRICED_NO_USAGE
                telemetry.totals.add_unpriced(key, names.UNPRICED_NO_USAGE)
        else:
            started_at = time.time() - elapsed  # priced at the prices in force when the call started
            usage, price = price_outcome(
                telemetry.prices, self.endpoint.provider, outcome, self.request_model, started_at
            )
            if price.unpriced_reason == names.UNPRICED_INVALID_USAGE:
                # Counts that cannot be true (negative, absurd, not numbers) stay out of the counters,
                # which must only grow, and off the span, where they could break an exporter.
                attributes[names.UNPRICED_REASON] = names.UNPRICED_INVALID_USAGE
                telemetry.totals.add_unpriced(key, names.UNPRICED_INVALID_USAGE)
            else:
                spans.usage_attributes(attributes, usage, price, outcome.service_tier)
                telemetry.totals.add(key, usage, price)
                return attributes, (usage.input_tokens, usage.output_tokens)
        return attributes, None

    # --- opt-in content capture --------------------------------------------------------------
    def record_content(
        self,
        input_messages: Sequence[content.Message] | None = None,
        output_messages: Sequence[content.Message] | None = None,
        system_instructions: Sequence[content.Part] | None = None,
    ) -> None:
        """Write `gen_ai.input.messages`, `gen_ai.output.messages` and `gen_ai.system_instructions`.

        Call it only when `self.captures_content` is true, so that nothing is built for users who
        did not opt in: with the request's messages when the call starts, and with the response's
        messages before `finish` (for a stream, when it ends). Each is cut to
        GENAI_COST_CAPTURE_MAX_LENGTH characters of text (`genai_cost.content.truncated` says so).
        Never raises.
        """
        if not self.captures_content or self.done:
            return
        try:
            limit = self.telemetry.settings.capture_max_length
            written: list[tuple[str, tuple[str, bool]]] = []
            if input_messages:
                written.append((names.INPUT_MESSAGES, content.messages_json(input_messages, limit)))
            if output_messages:
                written.append((names.OUTPUT_MESSAGES, content.messages_json(output_messages, limit)))
            if system_instructions:
                written.append((names.SYSTEM_INSTRUCTIONS, content.parts_json(system_instructions, limit)))
            for attribute, (text, truncated) in written:
                self.span.set_attribute(attribute, text)
                if truncated:
                    self.span.set_attribute(names.CONTENT_TRUNCATED, True)
        except Exception:
            logger.debug("genai-cost: could not record content", exc_info=True)
