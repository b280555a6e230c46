"""The entry point of the core: `Telemetry.start` begins a Call for an SDK wrapper.

One Telemetry exists per (tracer provider, meter provider) pair, shared by every SDK package, so the
instruments exist once. Attribution is resolved once per call, at its start: the span gets every
attribution attribute, the counters the allow-listed labels after the cardinality guard.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation, get_meter
from opentelemetry.trace import SpanKind, TracerProvider

from genai_cost import attribution, config, names, spans
from genai_cost.call import Call
from genai_cost.endpoints import Endpoint
from genai_cost.instruments import Instruments
from genai_cost.pricing import PriceBook
from genai_cost.totals import Observer, Totals
from genai_cost.version import __version__

if TYPE_CHECKING:
    from genai_cost.budgets.guard import Guard


class Settings(NamedTuple):
    """What genai-cost's configuration says about every call, resolved once."""

    baggage_keys: tuple[str, ...]
    guard: attribution.LabelGuard
    capture_content: bool
    capture_max_length: int

    @classmethod
    def from_config(cls, cfg: config.Config) -> Settings:
        return cls(
            cfg.baggage_keys,
            attribution.LabelGuard(cfg.metric_labels, cfg.label_limit),
            cfg.capture_content,
            cfg.capture_max_length,
        )


class Telemetry:
    """The tracer, the instruments, the totals and the price book of one provider pair."""

    def __init__(
        self, tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
    ) -> None:
        self.tracer = trace.get_tracer(names.SCOPE_NAME, __version__, tracer_provider)
        self.prices = PriceBook.from_config()  # loads nothing until the first call needs a price
        self.totals = Totals()
        self._settings: Settings | None = None  # read at the first call, like the rest of the config
        self._configure_lock = threading.Lock()
        self.guard: Guard | None = None  # the opt-in budget guard, built with the settings
        observer = Observer(self.totals, lambda: self.settings.guard.keys)
        meter = get_meter(names.SCOPE_NAME, __version__, meter_provider)
        self.instruments = Instruments(meter, observer, self._observe_prices_file, self._observe_overflow)
        self.meter = meter

    @property
    def settings(self) -> Settings:
        settings = self._settings
        if settings is None:
            settings = self._configure()
        return settings

    def _configure(self) -> Settings:
        with self._configure_lock:  # once: the guard owns a thread and instruments
            if self._settings is None:
                cfg = config.get()
                if cfg.budgets_file:
                    from genai_cost.budgets.guard import guard_from_config

                    self.guard = guard_from_config(cfg, self.meter, self.tracer)
                self._settings = Settings.from_config(cfg)
            return self._settings

    def start(
        self, operation: str, endpoint: Endpoint, request_model: str | None, stream: bool = False,
        conversation_id: str | None = None,
    ) -> Call:  # fmt: skip
        settings = self.settings
        self.prices.warm(endpoint.provider, request_model)
        found = attribution.current(settings.baggage_keys)
        if conversation_id:  # the request's own (the Responses API's `conversation`) wins over attribution
            found = {**(found or {}), names.CONVERSATION_ID: conversation_id}
        name, attributes = spans.request_start(operation, endpoint, request_model, stream, found)
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        labels = settings.guard.labels(found)
        return Call(self, span, operation, endpoint, request_model or "", labels, settings.capture_content, found)

    def _observe_prices_file(self, options: CallbackOptions) -> Iterable[Observation]:
        state = self.prices.file_state()
        return [Observation(state[1], {names.PRICES_FILE: state[0]})] if state else []

    def _observe_overflow(self, options: CallbackOptions) -> Iterable[Observation]:
        if self._settings is None:
            return []
        return [Observation(n, {names.ATTRIBUTION_LABEL: key}) for key, n in self._settings.guard.overflows()]


# Values keep the providers alive so their ids are never reused for another pair.
_instances: dict[tuple[int, int], tuple[Telemetry, object, object]] = {}
_instances_lock = threading.Lock()


def get_telemetry(
    tracer_provider: TracerProvider | None = None, meter_provider: MeterProvider | None = None
) -> Telemetry:
    """One Telemetry per provider pair, shared by every SDK package, so instruments exist once."""
    key = (id(tracer_provider), id(meter_provider))
    with _instances_lock:
        found = _instances.get(key)
        if found is None:
            found = _instances[key] = (Telemetry(tracer_provider, meter_provider), tracer_provider, meter_provider)
        return found[0]
