"""The anthropic SDK's own spans (2.x traces every API call when a tracer provider exists).

genai-cost's span already is the GenAI span of each call, with tokens and cost. So by default
(`GENAI_COST_ANTHROPIC_SDK_SPANS=off`) the SDK gets no tracer and emits no span: one span per call.
With `child`, the SDK's span is kept as a child of ours (its request id, stop reason, content if
the app opted in), minus its token counts, so that nothing summing `gen_ai.usage.*` over a trace
counts a call twice.
"""

from __future__ import annotations

from typing import Any

import wrapt

from genai_cost import config

# Attribute prefixes left off the SDK's span in child mode: the same numbers are on ours.
_USAGE_PREFIXES = ("gen_ai.usage.", "anthropic.usage.")


def _is_usage(key: object) -> bool:
    return isinstance(key, str) and key.startswith(_USAGE_PREFIXES)


class _SpanWithoutUsage(wrapt.ObjectProxy):
    def set_attribute(self, key: str, value: Any) -> None:
        if not _is_usage(key):
            self.__wrapped__.set_attribute(key, value)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        self.__wrapped__.set_attributes({k: v for k, v in attributes.items() if not _is_usage(k)})


class _TracerWithoutUsage(wrapt.ObjectProxy):
    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        attributes = kwargs.get("attributes")
        if attributes:
            kwargs["attributes"] = {k: v for k, v in attributes.items() if not _is_usage(k)}
        return _SpanWithoutUsage(self.__wrapped__.start_span(*args, **kwargs))


def get_tracer_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """Wraps `anthropic._base_client.get_tracer`, which a client calls once, on its first request."""
    try:
        mode = config.get().anthropic_sdk_spans
    except Exception:
        mode = "off"
    if mode == "off":
        return None  # the SDK's documented "no spans" value
    tracer = wrapped(*args, **kwargs)
    return None if tracer is None else _TracerWithoutUsage(tracer)
