"""genai-cost's own settings: `GENAI_COST_*` environment variables, parsed once.

A bad value never stops the host app: it gets one warning naming the variable and the value,
and the default is used instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from genai_cost.providers import KNOWN_PROVIDERS

logger = logging.getLogger("genai_cost")

ENV_PROVIDER_MAP = "GENAI_COST_PROVIDER_MAP"
ENV_STREAM_USAGE = "GENAI_COST_STREAM_USAGE"
ENV_STREAM_USAGE_HOSTS = "GENAI_COST_STREAM_USAGE_HOSTS"
# Attribution (who spent it) and content capture.
ENV_BAGGAGE_KEYS = "GENAI_COST_BAGGAGE_KEYS"
ENV_METRIC_LABELS = "GENAI_COST_METRIC_LABELS"
ENV_LABEL_LIMIT = "GENAI_COST_LABEL_LIMIT"
ENV_CAPTURE_MAX_LENGTH = "GENAI_COST_CAPTURE_MAX_LENGTH"
ENV_CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"  # the standard opt-in
ENV_PRICES_FILE = "GENAI_COST_PRICES_FILE"
# Opt-in price refresh: "on" (genai-prices' published data) or an http(s) URL of data in its format.
ENV_PRICES_REFRESH = "GENAI_COST_PRICES_REFRESH"
ENV_PRICES_REFRESH_INTERVAL = "GENAI_COST_PRICES_REFRESH_INTERVAL"

STREAM_USAGE_MODES = ("auto", "off", "all")

# The opt-in budget guard (genai_cost/budgets/): a budgets file, and where the fleet's spend is read.
ENV_BUDGETS_FILE = "GENAI_COST_BUDGETS_FILE"
ENV_BUDGETS_PROMETHEUS_URL = "GENAI_COST_BUDGETS_PROMETHEUS_URL"
ENV_BUDGETS_REFRESH = "GENAI_COST_BUDGETS_REFRESH"
ENV_BUDGETS_UNREADABLE = "GENAI_COST_BUDGETS_UNREADABLE"
BUDGETS_UNREADABLE_MODES = ("open", "closed")

ENV_ANTHROPIC_SDK_SPANS = "GENAI_COST_ANTHROPIC_SDK_SPANS"
ANTHROPIC_SDK_SPANS_MODES = ("off", "child")


class Config(NamedTuple):
    # "host" or "host:port" (lower case) -> gen_ai.provider.name
    provider_map: Mapping[str, str] = MappingProxyType({})
    # auto: ask for stream usage from providers known to accept `stream_options.include_usage`;
    # off: never change a request; all: ask every OpenAI-compatible server.
    stream_usage: str = "auto"
    # extra "host" or "host:port" entries that get the usage request in auto mode
    stream_usage_hosts: frozenset[str] = frozenset()
    # Baggage entries copied onto spans (and, if also in metric_labels, onto the counters).
    baggage_keys: tuple[str, ...] = ()
    # Attribution keys (from baggage or genai_cost.attributes) that become counter labels.
    metric_labels: tuple[str, ...] = ()
    # Distinct values a metric label keeps before new values are recorded as "_other".
    label_limit: int = 100
    # Prompt and completion text on spans: only with the standard opt-in, at most this many characters.
    capture_content: bool = False
    capture_max_length: int = 2000
    # anthropic 2.x traces its own calls: off (default) leaves genai-cost's span the only one per call;
    # child keeps the SDK's span as a child of ours, without token counts (they are on ours, once).
    anthropic_sdk_spans: str = "off"
    # path of the price override file (YAML or JSON); validated when the price book loads it
    prices_file: str | None = None
    # where to fetch newer prices from, in the background; None: the bundled prices only, no network
    prices_refresh_url: str | None = None
    prices_refresh_interval: int = 3600  # seconds between fetches
    # the budgets file (YAML or JSON); None: no budget is enforced and nothing changes
    budgets_file: str | None = None
    # Prometheus' base URL: the fleet's spend is read from it in the background; None: this process's only
    budgets_prometheus_url: str | None = None
    budgets_refresh: int = 30  # seconds between reads of the fleet's spend
    # open: calls proceed while Prometheus cannot be read; closed: calls under a `block` budget are refused
    budgets_unreadable: str = "open"


_DEFAULT = Config()


def _warn(name: str, value: str, why: str) -> None:
    logger.warning("genai-cost: ignoring %s=%r: %s", name, value, why)


def _parse_provider_map(raw: str, known_providers: frozenset[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        host, sep, provider = item.partition("=")
        host, provider = host.strip().lower(), provider.strip()
        if not sep or not host or not provider:
            _warn(ENV_PROVIDER_MAP, item, "expected host[:port]=provider")
        elif provider not in known_providers:
            _warn(ENV_PROVIDER_MAP, item, f"unknown provider {provider!r}; known: {', '.join(sorted(known_providers))}")
        else:
            mapping[host] = provider
    return mapping


def _parse_hosts(raw: str) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in raw.split(",") if h.strip())


def _parse_keys(name: str, raw: str) -> tuple[str, ...]:
    from genai_cost.attribution import key_problem

    keys: list[str] = []
    for key in filter(None, (part.strip() for part in raw.split(","))):
        problem = key_problem(key)
        if problem:
            _warn(name, key, problem)
        elif key not in keys:
            keys.append(key)
    return tuple(keys)


def _parse_metric_labels(raw: str) -> tuple[str, ...]:
    from genai_cost.attribution import label_problem, prometheus_label

    labels: list[str] = []
    for key in _parse_keys(ENV_METRIC_LABELS, raw):
        problem = label_problem(key)
        taken = [other for other in labels if prometheus_label(other) == prometheus_label(key)]
        if problem:
            _warn(ENV_METRIC_LABELS, key, problem)
        elif taken:
            _warn(ENV_METRIC_LABELS, key, f"same Prometheus label {prometheus_label(key)!r} as {taken[0]!r}")
        else:
            labels.append(key)
    return tuple(labels)


def _parse_refresh(raw: str) -> str | None:
    value = raw.strip()
    if value.lower() in ("", "off", "false", "0", "no"):
        return None
    if value.lower() in ("on", "true", "1", "yes"):
        from genai_prices.update_prices import DEFAULT_UPDATE_URL

        return DEFAULT_UPDATE_URL
    if value.startswith(("https://", "http://")):
        return value
    _warn(ENV_PRICES_REFRESH, value, "expected off, on or an http(s) URL; prices are not refreshed")
    return None


def _parse_positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        _warn(name, raw, f"expected a positive integer; using {default}")
        return default
    return value


# Values of OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (opentelemetry-util-genai's, plus the
# legacy boolean of earlier instrumentations). genai-cost writes content on spans, never as events.
_CAPTURE_ON_SPANS = frozenset({"span_only", "span_and_event", "true"})
_CAPTURE_OFF = frozenset({"", "no_content", "event_only", "false"})


def _parse_capture_content(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _CAPTURE_ON_SPANS:
        return True
    if value not in _CAPTURE_OFF:
        _warn(ENV_CAPTURE_CONTENT, raw, "expected NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT; not capturing")
    return False


def _parse_url(name: str, raw: str) -> str | None:
    value = raw.strip().rstrip("/")
    if not value:
        return None
    if value.startswith(("https://", "http://")):
        return value
    _warn(name, raw, "expected an http(s) URL")
    return None


def _parse_choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        _warn(name, value, f"expected one of {', '.join(choices)}; using {choices[0]}")
        return choices[0]
    return value


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from the environment (or the mapping given), warning about bad values."""
    env = os.environ if environ is None else environ
    stream_usage = env.get(ENV_STREAM_USAGE, "auto").strip().lower() or "auto"
    if stream_usage not in STREAM_USAGE_MODES:
        _warn(ENV_STREAM_USAGE, stream_usage, f"expected one of {', '.join(STREAM_USAGE_MODES)}; using auto")
        stream_usage = "auto"
    sdk_spans = _parse_choice(env, ENV_ANTHROPIC_SDK_SPANS, ANTHROPIC_SDK_SPANS_MODES)
    return Config(
        provider_map=_parse_provider_map(env.get(ENV_PROVIDER_MAP, ""), KNOWN_PROVIDERS),
        stream_usage=stream_usage,
        stream_usage_hosts=_parse_hosts(env.get(ENV_STREAM_USAGE_HOSTS, "")),
        baggage_keys=_parse_keys(ENV_BAGGAGE_KEYS, env.get(ENV_BAGGAGE_KEYS, "")),
        metric_labels=_parse_metric_labels(env.get(ENV_METRIC_LABELS, "")),
        label_limit=_parse_positive_int(env, ENV_LABEL_LIMIT, _DEFAULT.label_limit),
        capture_content=_parse_capture_content(env.get(ENV_CAPTURE_CONTENT, "")),
        capture_max_length=_parse_positive_int(env, ENV_CAPTURE_MAX_LENGTH, _DEFAULT.capture_max_length),
        anthropic_sdk_spans=sdk_spans,
        prices_file=env.get(ENV_PRICES_FILE, "").strip() or None,
        prices_refresh_url=_parse_refresh(env.get(ENV_PRICES_REFRESH, "")),
        prices_refresh_interval=_parse_positive_int(env, ENV_PRICES_REFRESH_INTERVAL, _DEFAULT.prices_refresh_interval),
        budgets_file=env.get(ENV_BUDGETS_FILE, "").strip() or None,
        budgets_prometheus_url=_parse_url(ENV_BUDGETS_PROMETHEUS_URL, env.get(ENV_BUDGETS_PROMETHEUS_URL, "")),
        budgets_refresh=_parse_positive_int(env, ENV_BUDGETS_REFRESH, _DEFAULT.budgets_refresh),
        budgets_unreadable=_parse_choice(env, ENV_BUDGETS_UNREADABLE, BUDGETS_UNREADABLE_MODES),
    )


@lru_cache(maxsize=1)
def get() -> Config:
    """The process-wide Config, read from the environment on first use."""
    return load()


def reset() -> None:
    """Forget the parsed Config so the next `get()` reads the environment again (tests)."""
    get.cache_clear()
