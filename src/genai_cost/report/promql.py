"""PromQL text: selectors, quoted label values, regex alternatives and unions of many expressions."""

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


def union(expressions: Sequence[str]) -> str:
    """`a or b or ...` nested as a balanced tree: Prometheus evaluates a left-leaning chain of n
    unions in time n squared (each `or` hashes everything on its left)."""
    if len(expressions) == 1:
        return expressions[0]
    middle = len(expressions) // 2
    return f"({union(expressions[:middle])}) or ({union(expressions[middle:])})"
