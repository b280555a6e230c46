"""The deployment assets: the compose stack is valid compose, mounts only shipped files, and its
Prometheus config passes promtool; `genai-cost stack DIR` run from the built wheel writes files
identical to the repository's.

The compose file is checked against the Compose Specification JSON schema that check-jsonschema
vendors (`--builtin-schema vendor.compose-spec`): no Docker daemon or compose plugin is needed.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from genai_cost import cli, stack
from tests.helpers.stack import binary

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
COMPOSE = EXAMPLES / "compose.yaml"


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run(
        [str(command), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_compose_file_matches_the_compose_specification(tmp_path: Path) -> None:
    done = _check_jsonschema(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr

    # The schema does catch mistakes: a port list written as a string, an unknown service key.
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    compose["services"]["grafana"]["ports"] = "3000:3000"
    compose["services"]["prometheus"]["comand"] = ["--web.enable-lifecycle"]
    broken = tmp_path / "compose.yaml"
    broken.write_text(yaml.safe_dump(compose), encoding="utf-8")
    done = _check_jsonschema(broken)
    assert done.returncode != 0
    assert "ports" in done.stdout and "comand" in done.stdout


def _bind_sources(compose: dict) -> list[str]:
    sources = []
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):  # a path, not a named volume
                sources.append(source)
    return sources


def test_compose_stack_uses_only_files_the_stack_command_ships() -> None:
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    sources = _bind_sources(compose)
    assert "../collector/otelcol.yaml" in sources
    assert {"../prometheus/rules", "../prometheus/alertmanager.yml"} <= set(sources)
    assert {"../grafana/provisioning", "../grafana/dashboards"} <= set(sources)
    for source in sources:
        resolved = (EXAMPLES / source).resolve()
        top = resolved.relative_to(REPO).parts[0]
        assert top in stack.ASSET_DIRS, source  # `genai-cost stack` writes it
        if (REPO / top).is_dir():  # every asset folder present in this checkout holds what is mounted
            assert resolved.exists(), source

    build = compose["services"]["mock-provider"]["build"]
    assert (EXAMPLES / build["context"]).resolve() == REPO
    assert (REPO / build["dockerfile"]).is_file()
    assert compose["services"]["app"]["image"] == compose["services"]["mock-provider"]["image"]
    assert compose["services"]["app"]["build"] == build
    assert compose["services"]["otelcol"]["environment"]["TRACES_OTLP_ENDPOINT"] == "http://jaeger:4318"


def test_compose_prometheus_config_passes_promtool() -> None:
    done = subprocess.run(
        [binary("promtool"), "check", "config", str(EXAMPLES / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["otelcol"]["honor_labels"] is True
    assert jobs["otelcol"]["static_configs"][0]["targets"] == ["otelcol:8889"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from this checkout with its own build backend (hatchling)."""
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("genai_cost-*.whl")
    return built


def test_wheel_carries_every_asset_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"genai_cost/_assets/{relative}" for relative in stack.asset_files(REPO)}
    assert shipped <= names
    assert {name for name in names if name.startswith("genai_cost/_assets/")} == shipped


def test_stack_command_from_the_wheel_writes_the_repository_files(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    target = tmp_path / "my-stack"
    # The wheel's genai_cost, not this checkout's (PYTHONPATH comes before the editable install).
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run(
        [sys.executable, "-c", "import genai_cost.stack as s; print(s.assets_root())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(where.stdout.strip()) == installed / "genai_cost" / "_assets"
    done = subprocess.run(
        [sys.executable, "-m", "genai_cost", "stack", str(target)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    expected = sorted(stack.asset_files(REPO))
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == [str(p) for p in expected]
    assert {"collector/manifest.yaml", "collector/otelcol.yaml", "examples/compose.yaml"} <= set(written)
    for relative in expected:
        assert (target / relative).read_bytes() == (REPO / relative).read_bytes(), relative
    assert os.stat(target / "collector" / "build.sh").st_mode & stat.S_IXUSR
    assert sorted(done.stdout.splitlines()) == sorted(str(target / p) for p in expected)


def test_stack_command_keeps_changed_files_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stack", str(tmp_path)]) == 0
    config = tmp_path / "collector" / "otelcol.yaml"
    config.write_text("# edited by the user\n", encoding="utf-8")
    capsys.readouterr()

    assert cli.main(["stack", str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert "collector/otelcol.yaml" in error and "--force" in error
    assert config.read_text(encoding="utf-8") == "# edited by the user\n"

    assert cli.main(["stack", str(tmp_path), "--force"]) == 0
    assert config.read_bytes() == (REPO / "collector" / "otelcol.yaml").read_bytes()
    # Unchanged files are no conflict: writing again is fine.
    assert cli.main(["stack", str(tmp_path)]) == 0
