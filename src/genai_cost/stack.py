"""`genai-cost stack DIR`: write the deployment assets into a folder.

The Collector config and builder manifest, the Prometheus rules and Alertmanager example, the
Grafana dashboards and provisioning, and the docker compose example live in the repository's
top-level folders (ASSET_DIRS). A wheel carries them as ``genai_cost/_assets/<folder>/...`` (the
build hook in hatch_build.py copies whatever those folders hold at build time), so users who
installed from PyPI get the same files; a source checkout reads them from the folders themselves.

This module uses only the standard library: hatch_build.py loads it by path to list the files.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from importlib import resources
from pathlib import Path, PurePosixPath

ASSET_DIRS = ("collector", "prometheus", "grafana", "examples")
ASSETS_PACKAGE_DIR = "_assets"  # genai_cost/_assets/ in a wheel
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


class StackError(Exception):
    """The assets cannot be written (none found, or existing files differ and --force is not given)."""


def asset_files(root: Path) -> Iterator[PurePosixPath]:
    """Every asset file under ``root`` as a relative POSIX path, e.g. ``collector/otelcol.yaml``, sorted."""
    for name in ASSET_DIRS:
        top = root / name
        if not top.is_dir():
            continue
        for directory, subdirs, files in os.walk(top):
            subdirs[:] = sorted(d for d in subdirs if d not in _SKIPPED_DIRS)
            for file in sorted(files):
                if not file.endswith(_SKIPPED_SUFFIXES):
                    yield PurePosixPath(Path(directory, file).relative_to(root).as_posix())


def assets_root() -> Path:
    """Where the assets are: inside the installed package (wheel) or the source checkout (editable)."""
    packaged = Path(str(resources.files("genai_cost"))) / ASSETS_PACKAGE_DIR
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2]  # src/genai_cost/stack.py -> repository root
    if (checkout / "pyproject.toml").is_file() and any((checkout / name).is_dir() for name in ASSET_DIRS):
        return checkout
    raise StackError("no stack assets found: this installation of genai-cost was built without them")


def write(destination: Path, force: bool = False) -> list[PurePosixPath]:
    """Copy every asset file into ``destination`` (created if needed); return the relative paths written.

    Files that already exist with other content are left alone and reported unless ``force``.
    """
    root = assets_root()
    files = list(asset_files(root))
    if not files:
        raise StackError(f"no stack assets under {root}")
    conflicts = [
        relative
        for relative in files
        if (destination / relative).exists() and (destination / relative).read_bytes() != (root / relative).read_bytes()
    ]
    if conflicts and not force:
        listed = "\n  ".join(str(c) for c in conflicts)
        raise StackError(f"these files exist in {destination} with other content (use --force):\n  {listed}")
    for relative in files:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
        if target.suffix == ".sh":  # scripts stay runnable whatever the wheel kept of file modes
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return files
