"""Spans and metrics for one call, shared by every provider module.

A provider module calls `Telemetry.start(...)` when a call begins and `Call.finish(...)` or
`Call.fail(...)` when it ends; everything else (normalised span attributes, pricing, the semconv
histograms, the cost and token counters) happens here, once, the same way for every SDK.

The histograms are recorded synchronously (they are what the OTel SDK aggregates best). The
counters only ever add, so they are summed in-process under a lock and reported by observable
counters at collection time: exact under threads, and nearly free on the request path.

Attribution (see `genai_cost.attribution`) is resolved once per call, at its start: the span gets
every attribution attribute, the counters the allow-listed labels after the cardinality guard, as a
tuple in the counter key; label dicts are built once per key, at collection time.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation, get_meter
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from genai_cost import attribution, config, content, names
from genai_cost.endpoints import Endpoint
from genai_cost.pricing import Price, PriceBook
from genai_cost.usage import Usage
from genai_cost.version import __version__

logger = logging.getLogger("genai_cost")

# Counter labels: (operation, provider, request model, response model, attribution label values).
_LabelKey = tuple[str, str, str, str, tuple[str, ...]]

_TOKEN_TYPES = (
    names.TOKEN_INPUT,
    names.TOKEN_OUTPUT,
    names.TOKEN_CACHE_READ,
    names.TOKEN_CACHE_WRITE,
    names.TOKEN_REASONING,
)


@dataclass(slots=True)
class Outcome:
    """What a provider module learned from a finished call."""

    usage: Usage | None  # None: the provider reported no usage
    response_model: str | None = None
    response_id: str | None = None
    finish_reasons: Sequence[str] | None = None
    service_tier: str | None = None  # the tier the provider says it served
    pending: bool = False  # usage comes later (a queued background response): not unpriced
    # Usage billed beside `usage` within the same call, each at its own model (None: the response model),
    # e.g. Anthropic compaction and advisor iterations that the top-level usage leaves out.
    extra_usage: Sequence[tuple[str | None, Usage]] = ()
    billable: bool = True  # False: counted tokens of a request that is not billed (token counting)
    # One logical call that made several billed requests (e.g. Gemini automatic function calling):
    # each request's usage, priced one by one so each gets its own long-context band; `usage` is
    # their sum.
    parts: Sequence[Usage] | None = None


# Distinct label sets the counters keep. With five token types per set, the tokens counter stays
# under the OTel SDK's default cardinality limit (2,000 series per metric), past which the SDK
# would merge series into an overflow point; and an app sending ever-new model names cannot grow
# memory or Prometheus without bound. Later label sets are counted under names.OVERFLOW_MODEL.
MAX_LABEL_SETS = 300


class _Totals:
    """Cumulative counter values per label set, added to under a lock, read at collection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # label key -> [cost, savings, input, output, cache_read, cache_write, reasoning, priced calls]
        self.sums: dict[_LabelKey, list[float]] = {}
        self.unpriced: dict[tuple[_LabelKey, str], int] = {}
        self._keys: set[_LabelKey] = set()
        self._overflowed = False

    def _bounded(self, key: _LabelKey) -> _LabelKey:
        """`key`, or its overflow label set once MAX_LABEL_SETS distinct ones exist (under the lock)."""
        if key in self._keys:
            return key
        if len(self._keys) < MAX_LABEL_SETS:
            self._keys.add(key)
            return key
        if not self._overflowed:
            self._overflowed = True
            logging.getLogger("genai_cost").warning(
                "genai-cost: more than %d label sets (models); further ones are counted as %r",
                MAX_LABEL_SETS,
                names.OVERFLOW_MODEL,
            )
        return (*key[:2], *(names.OVERFLOW_MODEL,) * (len(key) - 2))  # type: ignore[return-value]

    def add(self, key: _LabelKey, usage: Usage, price: Price) -> None:
        with self._lock:
            key = self._bounded(key)
            row = self.sums.get(key)
            if row is None:
                row = self.sums[key] = [0.0, 0.0, 0, 0, 0, 0, 0, 0]
            if price.cost is not None:
                row[0] += price.cost
                row[7] += 1
            row[1] += price.savings
            row[2] += usage.input_tokens
            row[3] += usage.output_tokens
            row[4] += usage.cache_read_tokens
            row[5] += usage.cache_write_tokens
            row[6] += usage.reasoning_tokens
            if price.cost is None:
                self._add_unpriced(key, price.unpriced_reason or names.UNPRICED_UNKNOWN_MODEL)

    def add_unpriced(self, key: _LabelKey, reason: str) -> None:
        with self._lock:
            self._add_unpriced(self._bounded(key), reason)

    def _add_unpriced(self, key: _LabelKey, reason: str) -> None:
        self.unpriced[(key, reason)] = self.unpriced.get((key, reason), 0) + 1

    def snapshot(self) -> tuple[list[tuple[_LabelKey, list[float]]], list[tuple[tuple[_LabelKey, str], int]]]:
        with self._lock:
            return [(k, list(v)) for k, v in self.sums.items()], list(self.unpriced.items())


def _labels(key: _LabelKey, attribution_keys: Sequence[str]) -> dict[str, str]:
    operation, provider, request_model, response_model, values = key
    labels = {
        names.OPERATION_NAME: operation,
        names.PROVIDER_NAME: provider,
        names.REQUEST_MODEL: request_model,
        names.RESPONSE_MODEL: response_model,
    }
    for name, value in zip(attribution_keys, values, strict=False):
        if value:  # no value: no label, as Prometheus reads an empty one
            labels[name] = value
    return labels


@dataclass(frozen=True, slots=True)
class _Settings:
    """What genai-cost's configuration says about every call, resolved once."""

    baggage_keys: tuple[str, ...]
    guard: attribution.LabelGuard
    capture_content: bool
    capture_max_length: int

    @classmethod
    def from_config(cls, cfg: config.Config) -> _Settings:
        return cls(
            cfg.baggage_keys,
            attribution.LabelGuard(cfg.metric_labels, cfg.label_limit),
            cfg.capture_content,
            cfg.capture_max_length,
        )


class Telemetry:
    """The tracer, the instruments and the price book of one (tracer, meter) provider pair."""

    def __init__(
        self, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        self.tracer = trace.get_tracer(names.SCOPE_NAME, __version__, tracer_provider)
        meter = get_meter(names.SCOPE_NAME, __version__, meter_provider)
        self.prices = PriceBook.from_config()
        self.totals = _Totals()
        self._label_cache: dict[_LabelKey, dict[str, str]] = {}
        self._settings: _Settings | None = None  # read at the first call, like the rest of the config
        self._histogram_attrs: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.duration = meter.create_histogram(
            names.METRIC_OPERATION_DURATION,
            unit=names.UNIT_SECONDS,
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(names.DURATION_BUCKETS),
        )
        self.token_usage = meter.create_histogram(
            names.METRIC_TOKEN_USAGE,
            unit=names.UNIT_TOKEN,
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(names.TOKEN_USAGE_BUCKETS),
        )
        counters = (
            (names.METRIC_COST, self._observe_cost, names.UNIT_USD,
             "USD cost of GenAI calls, from the tokens used and the model's price."),
            (names.METRIC_COST_SAVINGS, self._observe_savings, names.UNIT_USD,
             "USD saved by prompt-cache reads against the uncached input price."),
            (names.METRIC_TOKENS, self._observe_tokens, names.UNIT_TOKEN,
             "Tokens used by GenAI calls, by gen_ai.token.type."),
            (names.METRIC_UNPRICED, self._observe_unpriced, names.UNIT_CALL,
             "GenAI calls that could not be priced, by reason."),
            (names.METRIC_ATTRIBUTION_OVERFLOW, self._observe_overflow, names.UNIT_CALL,
             "GenAI calls whose attribution label value was counted as _other (label past its cap)."),
        )  # fmt: skip
        for name, callback, unit, description in counters:
            meter.create_observable_counter(name, [callback], unit=unit, description=description)
        meter.create_observable_gauge(
            names.METRIC_PRICES_FILE_ERRORS,
            [self._observe_prices_file],
            unit=names.UNIT_ERROR,
            description="Problems in the price override file: 0 while in use; more: rejected, bundled prices apply.",
        )

    @property
    def settings(self) -> _Settings:
        settings = self._settings
        if settings is None:
            settings = self._settings = _Settings.from_config(config.get())
        return settings

    def start(self, operation: str, endpoint: Endpoint, request_model: str | None, stream: bool = False) -> Call:
        settings = self.settings
        model = request_model or ""
        found = attribution.current(settings.baggage_keys)
        attributes: dict[str, Any] = {
            names.OPERATION_NAME: operation,
            names.PROVIDER_NAME: endpoint.provider.name,
        }
        if found:
            attributes.update(found)
        if request_model:
            attributes[names.REQUEST_MODEL] = request_model
        if endpoint.address:
            attributes[names.SERVER_ADDRESS] = endpoint.address
            if endpoint.port:
                attributes[names.SERVER_PORT] = endpoint.port
        if stream:
            attributes[names.REQUEST_STREAM] = True
        span = self.tracer.start_span(
            f"{operation} {model}" if model else operation, kind=SpanKind.CLIENT, attributes=attributes
        )
        return Call(self, span, operation, endpoint, model, settings.guard.labels(found), settings.capture_content)

    # --- helpers used by Call; cached so the hot path builds no dicts ----------------------------
    def histogram_attributes(
        self, call: Call, response_model: str, extra: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        key = (call.operation, call.endpoint, call.request_model, response_model, extra)
        attrs = self._histogram_attrs.get(key)
        if attrs is None:
            attrs = {
                names.OPERATION_NAME: call.operation,
                names.PROVIDER_NAME: call.endpoint.provider.name,
            }
            if call.request_model:
                attrs[names.REQUEST_MODEL] = call.request_model
            if response_model:
                attrs[names.RESPONSE_MODEL] = response_model
            if call.endpoint.address:
                attrs[names.SERVER_ADDRESS] = call.endpoint.address
                if call.endpoint.port:
                    attrs[names.SERVER_PORT] = call.endpoint.port
            if extra:
                attrs[extra[0]] = extra[1]
            if len(self._histogram_attrs) > 4096:
                self._histogram_attrs.clear()
            self._histogram_attrs[key] = attrs
        return attrs

    # --- observable counter callbacks --------------------------------------------------------
    def _labels(self, key: _LabelKey) -> dict[str, str]:
        labels = self._label_cache.get(key)
        if labels is None:
            labels = self._label_cache[key] = _labels(key, self.settings.guard.keys)
        return labels

    def _observe_cost(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        # A model never priced has no cost series: a $0 line would read as "free".
        return [Observation(row[0], self._labels(key)) for key, row in sums if row[7]]

    def _observe_savings(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        return [Observation(row[1], self._labels(key)) for key, row in sums if row[7]]

    def _observe_tokens(self, options: CallbackOptions) -> Iterable[Observation]:
        sums, _ = self.totals.snapshot()
        return [
            Observation(row[2 + i], {**self._labels(key), names.TOKEN_TYPE: token_type})
            for key, row in sums
            for i, token_type in enumerate(_TOKEN_TYPES)
        ]

    def _observe_prices_file(self, options: CallbackOptions) -> Iterable[Observation]:
        state = self.prices.file_state()
        return [Observation(state[1], {names.PRICES_FILE: state[0]})] if state else []

    def _observe_unpriced(self, options: CallbackOptions) -> Iterable[Observation]:
        _, unpriced = self.totals.snapshot()
        return [Observation(n, {**self._labels(key), names.UNPRICED_REASON: reason}) for (key, reason), n in unpriced]

    def _observe_overflow(self, options: CallbackOptions) -> Iterable[Observation]:
        if self._settings is None:
            return []
        return [Observation(n, {names.ATTRIBUTION_LABEL: key}) for key, n in self._settings.guard.overflows()]


class Call:
    """One GenAI call in flight: ends exactly once, by `finish` or `fail`."""

    __slots__ = (
        "telemetry", "span", "operation", "endpoint", "request_model", "labels", "captures_content",
        "started", "done", "_token",
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

    def activate(self) -> None:
        """Make the span current while the SDK sends the request (HTTP spans nest under it)."""
        self._token = otel_context.attach(trace.set_span_in_context(self.span))

    def deactivate(self) -> None:
        if self._token is not None:
            otel_context.detach(self._token)
            self._token = None

    def finish(self, outcome: Outcome) -> None:
        if self.done:
            return
        self.done = True
        elapsed = time.perf_counter() - self.started
        response_model = outcome.response_model or ""
        attributes = self._account(outcome, response_model, elapsed, failed=False)
        self.telemetry.duration.record(elapsed, self.telemetry.histogram_attributes(self, response_model))
        span = self.span
        span.set_attributes(attributes)
        span.end()

    def _account(self, outcome: Outcome, response_model: str, elapsed: float, failed: bool) -> dict[str, Any]:
        """Span attributes of an outcome; its usage priced and added to the counters and histograms.

        A failed call without usage is not unpriced: nothing was reported, nothing is counted.
        """
        telemetry = self.telemetry
        key = (self.operation, self.endpoint.provider.name, self.request_model, response_model, self.labels)
        attributes: dict[str, Any] = {}
        if response_model:
            attributes[names.RESPONSE_MODEL] = response_model
        if outcome.response_id:
            attributes[names.RESPONSE_ID] = outcome.response_id
        if outcome.finish_reasons:
            attributes[names.RESPONSE_FINISH_REASONS] = tuple(outcome.finish_reasons)
        usage = outcome.usage
        if usage is not None and not outcome.billable:
            attributes[names.USAGE_INPUT_TOKENS] = usage.input_tokens
        elif usage is None:
            if not outcome.pending and not failed:
                attributes[names.UNPRICED_REASON] = names.UNPRICED_NO_USAGE
                telemetry.totals.add_unpriced(key, names.UNPRICED_NO_USAGE)
        else:
            tier = _tier(outcome.service_tier)
            started_at = time.time() - elapsed  # priced at the prices in force when the call started
            if outcome.parts:
                price = _price_parts(telemetry.prices, self, outcome, tier, started_at)
            else:
                price = telemetry.prices.price(
                    self.endpoint.provider,
                    outcome.response_model,
                    usage,
                    tier,
                    self.request_model,
                    started_at,
                )
            if outcome.extra_usage:
                usage, price = self._with_extra_usage(outcome, usage, price, started_at)
            if price.unpriced_reason == names.UNPRICED_INVALID_USAGE:
                # Counts that cannot be true (negative, absurd, not numbers) stay out of the counters,
                # which must only grow, and off the span, where they could break an exporter.
                attributes[names.UNPRICED_REASON] = names.UNPRICED_INVALID_USAGE
                telemetry.totals.add_unpriced(key, names.UNPRICED_INVALID_USAGE)
            else:
                _usage_attributes(attributes, usage, price, outcome.service_tier)
                telemetry.totals.add(key, usage, price)
                hist = telemetry.histogram_attributes
                telemetry.token_usage.record(usage.input_tokens, hist(self, response_model, _INPUT))
                telemetry.token_usage.record(usage.output_tokens, hist(self, response_model, _OUTPUT))
        return attributes

    def record_content(
        self,
        input_messages: Sequence[content.Message] | None = None,
        output_messages: Sequence[content.Message] | None = None,
        system_instructions: Sequence[content.Part] | None = None,
    ) -> None:
        """The content-capture hook every provider module calls (openai, anthropic, google-genai).

        Call it only when `self.captures_content` is true, so that nothing is built for users who
        did not opt in: with the request's messages when the call starts, and with the response's
        messages before `finish` (for a stream, when it ends). Provider modules only translate their
        SDK's messages into `content.Message`s; this writes `gen_ai.input.messages`,
        `gen_ai.output.messages` and `gen_ai.system_instructions` as semconv JSON, each cut to
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

    def _with_extra_usage(
        self, outcome: Outcome, usage: Usage, price: Price, started_at: float
    ) -> tuple[Usage, Price]:
        """Add the parts of a call billed beside its main usage, each priced at its own model's rates."""
        prices, tier = self.telemetry.prices, _tier(outcome.service_tier)
        for model, extra in outcome.extra_usage:
            # A part run by another model is priced at that model only, never at the call's as a fallback.
            fallback = None if model else self.request_model
            extra_price = prices.price(
                self.endpoint.provider, model or outcome.response_model, extra, tier, fallback, started_at
            )
            usage, price = usage.plus(extra), price.plus(extra_price)
        return usage, price

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

    def fail(self, error: BaseException, outcome: Outcome | None = None) -> None:
        """End a failed call. `outcome`: what the provider had already reported when the call
        failed (a stream broken after its usage, an automatic-function-calling call whose later
        request failed); its usage is counted and priced like a finished call's, never estimated,
        and the span keeps error.type."""
        if self.done:
            return
        self.done = True
        elapsed = time.perf_counter() - self.started
        error_type = error_type_of(error)
        response_model = ""
        attributes: dict[str, Any] = {}
        if outcome is not None:
            response_model = outcome.response_model or ""
            attributes = self._account(outcome, response_model, elapsed, failed=True)
        attrs = self.telemetry.histogram_attributes(self, response_model, (names.ERROR_TYPE, error_type))
        self.telemetry.duration.record(elapsed, attrs)
        attributes[names.ERROR_TYPE] = error_type
        span = self.span
        span.set_attributes(attributes)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()


def _price_parts(prices: PriceBook, call: Call, outcome: Outcome, tier: str | None, started_at: float) -> Price:
    """Several requests of one call priced one by one, then added; unpriced if any part is."""
    total: Price | None = None
    for part in outcome.parts or ():
        price = prices.price(call.endpoint.provider, outcome.response_model, part, tier, call.request_model, started_at)
        total = price if total is None else total.plus(price)
    return total if total is not None else Price(None, unpriced_reason=names.UNPRICED_NO_USAGE)


_INPUT = (names.TOKEN_TYPE, names.TOKEN_INPUT)
_OUTPUT = (names.TOKEN_TYPE, names.TOKEN_OUTPUT)
_STANDARD_TIERS = frozenset({"default", "auto", "standard", "on_demand"})


def _tier(service_tier: str | None) -> str | None:
    if not service_tier or service_tier in _STANDARD_TIERS:
        return None
    return service_tier


def _usage_attributes(attributes: dict[str, Any], usage: Usage, price: Price, tier: str | None) -> None:
    attributes[names.USAGE_INPUT_TOKENS] = usage.input_tokens
    attributes[names.USAGE_OUTPUT_TOKENS] = usage.output_tokens
    attributes[names.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
    attributes[names.USAGE_CACHE_WRITE_INPUT_TOKENS] = usage.cache_write_tokens
    attributes[names.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
    if usage.cache_write_1h_tokens:
        attributes[names.CACHE_WRITE_5M_TOKENS] = usage.cache_write_5m_tokens
        attributes[names.CACHE_WRITE_1H_TOKENS] = usage.cache_write_1h_tokens
    if price.cost is None:
        attributes[names.UNPRICED_REASON] = price.unpriced_reason or names.UNPRICED_UNKNOWN_MODEL
        return
    attributes[names.USAGE_COST] = price.cost
    attributes[names.CACHE_SAVINGS] = price.savings
    if price.source:
        attributes[names.COST_SOURCE] = price.source
    if price.entry:
        attributes[names.PRICE_ENTRY] = price.entry
    if _tier(tier):
        attributes[names.PRICE_TIER] = tier


def error_type_of(error: BaseException) -> str:
    """Low-cardinality error.type: the HTTP status of an API error, else the exception's type."""
    status = getattr(error, "status_code", None)
    # An error event inside a stream arrives on a 200 response: that status says nothing of the error.
    if isinstance(status, int) and status >= 400:
        return str(status)
    code = getattr(error, "code", None)  # google-genai's APIError keeps the HTTP status in `code`
    if isinstance(code, int) and not isinstance(code, bool) and hasattr(error, "response"):
        return str(code)
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    # Prefer the public name: openai.APITimeoutError rather than openai._exceptions.APITimeoutError.
    package = sys.modules.get(cls.__module__.partition(".")[0])
    if getattr(package, cls.__name__, None) is cls:
        return f"{package.__name__}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


# Values keep the providers alive so their ids are never reused for another pair.
_instances: dict[tuple[int, int], tuple[Telemetry, object, object]] = {}
_instances_lock = threading.Lock()


def get_telemetry(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> Telemetry:
    """One Telemetry per provider pair, shared by every SDK module, so instruments exist once."""
    key = (id(tracer_provider), id(meter_provider))
    with _instances_lock:
        found = _instances.get(key)
        if found is None:
            found = _instances[key] = (Telemetry(tracer_provider, meter_provider), tracer_provider, meter_provider)
        return found[0]
