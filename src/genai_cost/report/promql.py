"""PromQL text: selectors, quoted label values and regex alternatives of exact values."""

from __future__ import annotations

from collections.abc import Sequence


def selector(name: str, matchers: Sequence[str] = ()) -> str:
    return name + ("{" + ",".join(matchers) + "}" if matchers else "")


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def regex_escape(value: str) -> str:
    return "".join("\\" + c if c in r".^$*+?()[]{}|\\" else c for c in value)


def one_of(values: Sequence[str]) -> str:
    """A quoted regex that matches exactly these values."""
    return quote("|".join(regex_escape(value) for value in values))
