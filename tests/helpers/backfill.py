"""Historical data for a real Prometheus: OpenMetrics text backfilled with promtool into its TSDB.

    text = openmetrics({("gen_ai_client_cost_usd_total", (("job", "a"),)): [(t0, 0.5), (t1, 1.25)]})
    with backfilled_prometheus(tmp_path, text) as prom:
        prom.query(...)

Blocks are written by `promtool tsdb create-blocks-from openmetrics` into the data folder before
the server starts; the server keeps them (retention of years) and serves them like scraped data.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.helpers.stack import PrometheusServer, binary

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]  # (series name, sorted label pairs)


def _family(name: str) -> tuple[str, str]:
    """OpenMetrics family and type of a series name."""
    if name.endswith("_total"):
        return name[: -len("_total")], "counter"
    return name, "gauge"


def openmetrics(series: Mapping[SeriesKey, Sequence[tuple[float, float]]]) -> str:
    """OpenMetrics text of the series (each list of (epoch seconds, value) in time order)."""
    families: dict[str, list[str]] = defaultdict(list)
    kinds: dict[str, str] = {}
    for (name, labels), samples in sorted(series.items()):
        family, kind = _family(name)
        kinds[family] = kind
        text = ",".join(f'{k}="{v}"' for k, v in labels)
        families[family] += [f"{name}{{{text}}} {value!r} {at:.3f}" for at, value in samples]
    lines = []
    for family, samples in families.items():
        lines.append(f"# TYPE {family} {kinds[family]}")
        lines.extend(samples)
    return "\n".join([*lines, "# EOF", ""])


def backfill(text: str, data_dir: Path) -> None:
    source = data_dir.parent / "backfill.om"
    data_dir.mkdir(parents=True, exist_ok=True)
    source.write_text(text, encoding="utf-8")
    backfill_file(source, data_dir)


def backfill_file(source: Path, data_dir: Path) -> None:
    """Blocks of up to 32 days from an OpenMetrics file (fewer, larger blocks: faster month queries)."""
    done = subprocess.run(
        [
            binary("promtool"),
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--max-block-duration=768h",
            str(source),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"promtool backfill failed:\n{done.stdout}\n{done.stderr}"


@contextmanager
def backfilled_prometheus(
    workdir: Path, text: str | None = None, rule_files: Sequence[Path] = (), source: Path | None = None
) -> Iterator[PrometheusServer]:
    """A Prometheus serving `text` or the file `source` (OpenMetrics) as history, scraping nothing."""
    server = PrometheusServer(
        workdir, scrape_targets={}, rule_files=rule_files, extra_args=["--storage.tsdb.retention.time=100y"]
    )
    if source is not None:
        backfill_file(source, workdir / "data")
    else:
        backfill(text or "# EOF\n", workdir / "data")
    with server:
        yield server
