"""Is this checkout ready to test? Exit 0 if so; else print what is missing and exit 1.

scripts/test runs this before deciding whether `pip install -e ".[test]"` is needed, so a machine
that already has everything starts the tests at once. Ready means:
- `genai_cost` imports from this checkout's src/ (an editable install of it, or PYTHONPATH);
- the `genai-cost` distribution is installed with this checkout's `opentelemetry_instrumentor`
  entry points (what `opentelemetry-instrument` loads in the end-to-end tests);
- every requirement of the `test` extra (and of the extras it names, e.g. `genai-cost[demo,yaml]`)
  is installed at a version the requirement accepts.
Standard library only, plus `packaging` (or pip's vendored copy), so it runs on a fresh machine.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # a fresh interpreter: pip always carries a copy
    from pip._vendor.packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
EXTRA = "test"


def _requirements(project: dict, extra: str, seen: set[str]) -> list[Requirement]:
    """The requirements of `extra`, with the project's own extras (`name[a,b]`) expanded."""
    if extra in seen:
        return []
    seen.add(extra)
    found: list[Requirement] = []
    for line in project.get("optional-dependencies", {}).get(extra, []):
        requirement = Requirement(line)
        if requirement.name == project["name"]:
            for inner in sorted(requirement.extras):
                found += _requirements(project, inner, seen)
        else:
            found.append(requirement)
    return found


def _unmet(requirement: Requirement) -> str | None:
    if requirement.marker is not None and not requirement.marker.evaluate():
        return None
    try:
        version = metadata.version(requirement.name)
    except metadata.PackageNotFoundError:
        return f"{requirement} (not installed)"
    if requirement.specifier and not requirement.specifier.contains(version, prereleases=True):
        return f"{requirement} (installed: {version})"
    return None


def problems() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found: list[str] = []
    spec = importlib.util.find_spec("genai_cost")
    origin = Path(spec.origin).resolve() if spec and spec.origin else None
    if origin is None or not origin.is_relative_to(REPO / "src"):
        found.append(f"genai_cost does not import from {REPO / 'src'} (found: {origin})")
    try:
        installed = {ep.name for ep in metadata.distribution(project["name"]).entry_points}
    except metadata.PackageNotFoundError:
        installed = set()
    wanted = set(project.get("entry-points", {}).get("opentelemetry_instrumentor", {}))
    if not wanted <= installed:
        found.append(f"entry points not installed: {', '.join(sorted(wanted - installed))}")
    found += filter(None, map(_unmet, _requirements(project, EXTRA, set())))
    return found


def main() -> int:
    missing = problems()
    for line in missing:
        print(f"needs install: {line}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
