"""Rows of the per-request log as a text table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

FORMATS = ("table", "csv", "json")
_NUMBERS = ("tokens", "cost", "savings", "duration_s", "calls", "errors", "usd")


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6f}" if name != "duration_s" else f"{value:.3f}"
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Aligned columns, numbers to the right; columns empty in every row are left out."""
    shown = [c for c in columns if any(row.get(c) not in (None, "", 0) for row in rows)] or list(columns)
    cells = [[_cell(c, row.get(c)) for c in shown] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(shown)]
    right = [c.endswith(_NUMBERS) for c in shown]

    def line(values: Sequence[str]) -> str:
        parts = (v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True))
        return "  ".join(parts).rstrip()

    return "\n".join([line(shown), *(line(r) for r in cells)]) + "\n"


def csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue()


def json_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    return json.dumps([{c: row.get(c) for c in columns} for row in rows], indent=2) + "\n"


RENDERERS = {"table": table, "csv": csv_text, "json": json_text}
