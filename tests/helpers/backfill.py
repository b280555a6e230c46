"""Historical data for a real Prometheus, written with promtool into its TSDB before it starts.

Hand-made series (a crafted month for a test):

    text = openmetrics({("gen_ai_client_cost_usd_total", (("job", "a"),)): [(t0, 0.5), (t1, 1.25)]})
    with backfilled_prometheus(tmp_path, text) as prom:
        prom.query(...)

A synthetic fleet (tests/helpers/fleet.py), then the recording rules:

    blocks = backfill_raw(fleet.Fleet(spec), data_dir)           # promtool tsdb create-blocks-from openmetrics
    backfill_rules(prom, RULE_FILES, start, end, data_dir)       # promtool tsdb create-blocks-from rules

Raw series: the fleet writes files of 18 hours (promtool's block durations are 2h times a power of 3)
while promtool turns the previous one into a block, so a month of a large fleet never sits on disk
as text at once. Rules: promtool evaluates each rule as range queries against a running Prometheus,
so a rule reading another recorded series needs that series backfilled and loaded first; the rules
are backfilled level by level (a level reads only raw series and lower levels) and Prometheus is
restarted on the grown data folder after each level. The server keeps the blocks (retention of
years) and serves them like scraped data.
"""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.helpers.fleet import Fleet
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


# --- a synthetic fleet, then the recording rules ---------------------------------------------------

CHUNK_SECONDS = 18 * 3600


def promtool(*args: str) -> str:
    """Run promtool; its output, or RuntimeError with it."""
    result = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"promtool {' '.join(args)}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def backfill_raw(fl: Fleet, data_dir: Path, work: Path | None = None) -> int:
    """Write the fleet's series into blocks under ``data_dir``; returns the number of files converted."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        files: queue.Queue[Path | BaseException | None] = queue.Queue(maxsize=1)

        def write() -> None:
            try:
                for path in fl.write_chunks(Path(tmp), CHUNK_SECONDS):
                    files.put(path)
                files.put(None)
            except BaseException as error:  # handed to the converting thread, raised there
                files.put(error)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        count = 0
        while (item := files.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            promtool("tsdb", "create-blocks-from", "openmetrics", f"--max-block-duration={CHUNK_SECONDS // 3600}h",
                     str(item), str(data_dir))  # fmt: skip
            item.unlink()
            count += 1
        writer.join()
    return count


def rule_levels(rule_files: Sequence[Path]) -> list[list[dict[str, Any]]]:
    """The recording rules in dependency order: each level reads raw series and lower levels only.

    A rule reading the series it records reads the other rules of that name (a coarser level of a
    panel series summing its finest level), so it comes after those that do not read it."""
    rules = [dict(r, group=g["name"], interval=g.get("interval"))
             for path in rule_files for g in yaml.safe_load(path.read_text())["groups"]
             for r in g["rules"] if "record" in r]  # fmt: skip
    recorded = {r["record"] for r in rules}
    reads = [set(re.findall(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", r["expr"])) & recorded for r in rules]
    indices = range(len(rules))
    after = [[j for j in indices if j != i and _reads(i, j, rules, reads)] for i in indices]
    level: dict[int, int] = {}
    while len(level) < len(rules):
        waiting = [i for i in indices if i not in level]
        ready = [i for i in waiting if all(j in level for j in after[i])]
        if not ready:
            raise ValueError(f"recording rules with a cycle: {sorted({rules[i]['record'] for i in waiting})}")
        for i in ready:
            level[i] = 1 + max((level[j] for j in after[i]), default=-1)
    out: list[list[dict[str, Any]]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for i, rule in enumerate(rules):
        out[level[i]].append(rule)
    return out


def _reads(i: int, j: int, rules: list[dict[str, Any]], reads: list[set[str]]) -> bool:
    """Whether rule i reads what rule j records (not a sibling level of i's own series that reads it too)."""
    name = rules[j]["record"]
    return name in reads[i] and not (name == rules[i]["record"] and name in reads[j])


def backfill_rules(
    start_prometheus: Callable[[], Any],
    rule_files: Sequence[Path],
    start: int,
    end: int,
    data_dir: Path,
    interval: str = "1m",
) -> list[str]:
    """Backfill every recording rule of ``rule_files`` over [start, end] into ``data_dir``.

    ``start_prometheus()`` returns a server (a context manager with ``.url``) on ``data_dir``; it is
    started once per level. Each level's rules keep their group's name and are written to the same
    file path every time: promtool evaluates a group at the phase Prometheus gives it (a hash of the
    name and the file), so the levels of one group line up as in a live evaluation. Returns
    promtool's output per level."""
    outputs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "genai-cost-backfill.rules.yml"
        for rules in rule_levels(rule_files):
            groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
            for rule in rules:
                groups.setdefault((rule["group"], rule["interval"]), []).append(rule)
            spec = {"groups": [dict({"name": name, "rules": [
                {k: v for k, v in r.items() if k in ("record", "expr", "labels")} for r in group]},
                **({"interval": every} if every else {})) for (name, every), group in groups.items()]}  # fmt: skip
            path.write_text(yaml.safe_dump(spec, sort_keys=False))
            out = Path(tmp) / "blocks"
            with start_prometheus() as prom:
                outputs.append(promtool("tsdb", "create-blocks-from", "rules", f"--start={start}", f"--end={end}",
                                        f"--url={prom.url}", f"--output-dir={out}", f"--eval-interval={interval}",
                                        str(path)))  # fmt: skip
            for block in out.iterdir():
                shutil.move(str(block), str(data_dir / block.name))
    return outputs
