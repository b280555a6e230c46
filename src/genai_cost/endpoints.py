"""Who is on the other end of a client: the provider detected from its base URL.

Detection runs once per base URL; `GENAI_COST_PROVIDER_MAP` maps gateways and proxies. Whether a
chat stream asks for usage (`stream_options.include_usage`) is decided here too, per endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from genai_cost import config
from genai_cost.providers import PROVIDERS, Provider

# Host suffix -> provider. Suffixes so regional and per-resource hosts match (Azure, Together).
_HOST_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("api.openai.com", "openai"),
    (".openai.azure.com", "azure.ai.openai"),
    (".cognitiveservices.azure.com", "azure.ai.openai"),
    (".services.ai.azure.com", "azure.ai.openai"),
    ("api.x.ai", "x_ai"),
    ("api.deepseek.com", "deepseek"),
    ("api.groq.com", "groq"),
    ("api.mistral.ai", "mistral_ai"),
    ("openrouter.ai", "openrouter"),
    ("api.together.xyz", "together"),
    ("api.together.ai", "together"),
    ("api.fireworks.ai", "fireworks"),
    ("api.perplexity.ai", "perplexity"),
    ("api.moonshot.ai", "moonshot_ai"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
    ("api.anthropic.com", "anthropic"),
    (".amazonaws.com", "aws.bedrock"),
)
# Default ports of local inference servers, recognised only on loopback hosts.
_LOCAL_PORTS = {11434: "ollama", 1234: "lm_studio", 8000: "vllm"}
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
# An unknown host speaks the OpenAI protocol: price it as OpenAI (server.address says where), but
# never add request fields it may reject.
_UNKNOWN_HOST = Provider("openai", "openai")


class Endpoint(NamedTuple):
    provider: Provider
    address: str | None  # server.address
    port: int | None  # server.port


def _by_host(host: str, port: int | None, default: str) -> Provider:
    for suffix, name in _HOST_SUFFIXES:
        if host == suffix.lstrip(".") or host.endswith(suffix):
            return PROVIDERS[name]
    if host in _LOOPBACK and port in _LOCAL_PORTS:
        return PROVIDERS[_LOCAL_PORTS[port]]
    return _UNKNOWN_HOST if default == "openai" else PROVIDERS[default]


def detect(base_url: str, default: str = "openai") -> Endpoint:
    """The endpoint behind a client's base URL. Never raises.

    ``default`` is the provider whose protocol the SDK speaks: what an unknown host (a proxy, a
    mock, a compatible server) is taken to be.
    """
    try:
        parts = urlsplit(base_url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None)
    except ValueError:
        return Endpoint(PROVIDERS[default], None, None)
    mapped = config.get().provider_map
    name = mapped.get(f"{host}:{port}") or mapped.get(host)
    provider = PROVIDERS[name] if name else _by_host(host, port, default)
    return Endpoint(provider, host or None, port)


_cache: dict[tuple[str, str], Endpoint] = {}
# By the identity of the URL object a client holds: str() of an SDK's URL object costs ~5 us a call.
# The object is kept in the value, so its id cannot be reused while the entry exists.
_by_object: dict[tuple[int, str], tuple[object, Endpoint]] = {}


def endpoint_for(base_url: object, default: str = "openai") -> Endpoint:
    """`detect` memoised per base URL: clients are few, calls are many."""
    seen = _by_object.get((id(base_url), default))
    if seen is not None and seen[0] is base_url:
        return seen[1]
    key = (str(base_url), default)
    found = _cache.get(key)
    if found is None:
        if len(_cache) > 1024:  # a process creating clients for ever-new URLs
            _cache.clear()
        found = _cache[key] = detect(key[0], default)
    if len(_by_object) > 1024:
        _by_object.clear()
    _by_object[(id(base_url), default)] = (base_url, found)
    return found


def wants_stream_usage(endpoint: Endpoint) -> bool:
    """Whether to add `stream_options.include_usage` to a chat stream sent to this endpoint."""
    cfg = config.get()
    if cfg.stream_usage == "off":
        return False
    if cfg.stream_usage == "all" or endpoint.provider.accepts_stream_usage:
        return True
    host = endpoint.address or ""
    return host in cfg.stream_usage_hosts or f"{host}:{endpoint.port}" in cfg.stream_usage_hosts


def ask_stream_usage(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A chat stream's keyword arguments with stream_options.include_usage added, unless the app
    chose; True: the app did not ask, so the extra usage-only chunk is to be hidden from it."""
    options = kwargs.get("stream_options")
    if not options:  # not given, None, or the SDK's omit/NOT_GIVEN sentinels
        return {**kwargs, "stream_options": {"include_usage": True}}, True
    if isinstance(options, Mapping) and "include_usage" not in options:
        return {**kwargs, "stream_options": {**options, "include_usage": True}}, True
    return kwargs, False


def reset_cache() -> None:
    _cache.clear()
    _by_object.clear()
