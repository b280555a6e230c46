"""genai-cost's own settings: `GENAI_COST_*` environment variables, parsed once.

A bad value never stops the host app: it gets one warning naming the variable and the value,
and the default is used instead.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

logger = logging.getLogger("genai_cost")

ENV_PROVIDER_MAP = "GENAI_COST_PROVIDER_MAP"
ENV_STREAM_USAGE = "GENAI_COST_STREAM_USAGE"
ENV_STREAM_USAGE_HOSTS = "GENAI_COST_STREAM_USAGE_HOSTS"
ENV_PRICES_FILE = "GENAI_COST_PRICES_FILE"

STREAM_USAGE_MODES = ("auto", "off", "all")


@dataclass(frozen=True)
class Config:
    # "host" or "host:port" (lower case) -> gen_ai.provider.name
    provider_map: Mapping[str, str] = field(default_factory=dict)
    # auto: ask for stream usage from providers known to accept `stream_options.include_usage`;
    # off: never change a request; all: ask every OpenAI-compatible server.
    stream_usage: str = "auto"
    # extra "host" or "host:port" entries that get the usage request in auto mode
    stream_usage_hosts: frozenset[str] = frozenset()
    # path of the price override file (YAML or JSON); validated when the price book loads it
    prices_file: str | None = None


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


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from the environment (or the mapping given), warning about bad values."""
    from genai_cost.providers import KNOWN_PROVIDERS

    env = os.environ if environ is None else environ
    stream_usage = env.get(ENV_STREAM_USAGE, "auto").strip().lower() or "auto"
    if stream_usage not in STREAM_USAGE_MODES:
        _warn(ENV_STREAM_USAGE, stream_usage, f"expected one of {', '.join(STREAM_USAGE_MODES)}; using auto")
        stream_usage = "auto"
    return Config(
        provider_map=_parse_provider_map(env.get(ENV_PROVIDER_MAP, ""), KNOWN_PROVIDERS),
        stream_usage=stream_usage,
        stream_usage_hosts=_parse_hosts(env.get(ENV_STREAM_USAGE_HOSTS, "")),
        prices_file=env.get(ENV_PRICES_FILE, "").strip() or None,
    )


@lru_cache(maxsize=1)
def get() -> Config:
    """The process-wide Config, read from the environment on first use."""
    return load()


def reset() -> None:
    """Forget the parsed Config so the next `get()` reads the environment again (tests)."""
    get.cache_clear()
