"""`error.type` of a failed call: low-cardinality, the same for every SDK."""

from __future__ import annotations

import sys


def error_type_of(error: BaseException) -> str:
    """The HTTP status of an API error, else the exception's public type name."""
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
