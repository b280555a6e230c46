"""The Collector built from collector/manifest.yaml: it validates every shipped config, contains
exactly the components those configs use, and build.sh serves it from its cache.

`otelcol validate` resolves the config (env defaults included), runs every component's own
validation and builds the pipelines without binding a port: a typo'd key, a component missing
from the build or a bad value fails it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers.collector import BUILD_SCRIPT, collector_binary, collector_env, validate

REPO = Path(__file__).resolve().parents[2]
COLLECTOR_DIR = REPO / "collector"
MANIFEST = COLLECTOR_DIR / "manifest.yaml"
CONFIGS = sorted(p for p in COLLECTOR_DIR.rglob("*.yaml") if p != MANIFEST)
KINDS = ("receivers", "processors", "exporters", "extensions", "connectors")
# Variables the configs require without a default (what a deployment must set).
REQUIRED_ENV = {
    "TRACES_OTLP_ENDPOINT": "http://traces-backend.example:4318",
    "REMOTE_WRITE_ENDPOINT": "http://mimir.example:9009/api/v1/push",
}


def _manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _component_types(config: dict) -> set[tuple[str, str]]:
    """(kind, type) of every component a config defines, e.g. ("exporters", "otlp_http") for otlp_http/traces."""
    return {(kind, name.split("/", 1)[0]) for kind in KINDS for name in (config.get(kind) or {})}


def test_shipped_configs_are_found() -> None:
    names = {p.relative_to(COLLECTOR_DIR).as_posix() for p in CONFIGS}
    assert names == {
        "otelcol.yaml",
        "gateway/agent.yaml",
        "gateway/gateway.yaml",
        "ledger.yaml",
        "ledger-clickhouse.yaml",
    }


@pytest.mark.parametrize("ledger", ["ledger.yaml", "ledger-clickhouse.yaml"])
def test_ledger_pipelines_lay_over_otelcol(ledger: str) -> None:
    """Run beside otelcol.yaml, a ledger config adds its traces/ledger pipeline and keeps the others."""
    configs = [f"--config={COLLECTOR_DIR / 'otelcol.yaml'}", f"--config={COLLECTOR_DIR / ledger}"]

    def collector(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [collector_binary(), *args],
            env=collector_env(**REQUIRED_ENV),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = collector("validate", *configs, "--feature-gates=exporter.file.nativeCompression")
    assert done.returncode == 0, done.stderr
    printed = collector("print-config", "--mode=unredacted", *configs)
    assert printed.returncode == 0, printed.stderr
    pipelines = yaml.safe_load(printed.stdout)["service"]["pipelines"]
    assert set(pipelines) == {"metrics", "traces", "traces/ledger"}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.relative_to(COLLECTOR_DIR).as_posix())
def test_built_collector_validates_shipped_config(config: Path) -> None:
    done = validate(config, REQUIRED_ENV)
    assert done.returncode == 0, done.stderr


def test_validate_rejects_what_is_wrong(tmp_path: Path) -> None:
    shipped = yaml.safe_load((COLLECTOR_DIR / "otelcol.yaml").read_text(encoding="utf-8"))
    # A strategy the exporter does not know.
    shipped["exporters"]["prometheus"]["translation_strategy"] = "UnderscoreEscapingWithSuffix"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(shipped), encoding="utf-8")
    done = validate(broken, REQUIRED_ENV)
    assert done.returncode != 0
    assert "translation_strategy" in done.stderr
    # A required variable left unset: the traces exporter has no endpoint.
    done = validate(COLLECTOR_DIR / "otelcol.yaml", {})
    assert done.returncode != 0


def test_manifest_has_exactly_the_components_the_configs_use() -> None:
    used: set[tuple[str, str]] = set()
    for config in CONFIGS:
        used |= _component_types(yaml.safe_load(config.read_text(encoding="utf-8")))

    listing = subprocess.run(
        [collector_binary(), "components"], env=collector_env(), capture_output=True, text=True, timeout=60, check=True
    )
    components = yaml.safe_load(listing.stdout)
    built = {(kind, c["name"]) for kind in KINDS for c in components.get(kind) or []}
    assert built == used

    # ... and the binary's modules are the manifest's, at the manifest's versions.
    manifest = _manifest()
    declared = {item["gomod"] for kind in KINDS for item in manifest.get(kind) or []}
    built_modules = {c["module"] for kind in KINDS for c in components.get(kind) or []}
    assert built_modules == declared


def test_one_release_pinned_everywhere() -> None:
    manifest = _manifest()
    version = manifest["dist"]["version"]
    assert re.fullmatch(r"0\.\d+\.0", version)
    minor = int(version.split(".")[1])
    for kind in (*KINDS, "providers"):
        for item in manifest.get(kind) or []:
            module, module_version = item["gomod"].split()
            # Core stable modules (the confmap providers) are v1.(N-94).0 for core v0.N.0.
            expected = f"v1.{minor - 94}.0" if "/confmap/provider/" in module else f"v{version}"
            assert module_version == expected, module
    version_output = subprocess.run(
        [collector_binary(), "--version"], env=collector_env(), capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert version in version_output
    # The compose stack runs the contrib image of that same release.
    compose = yaml.safe_load((REPO / "examples" / "compose.yaml").read_text(encoding="utf-8"))
    assert compose["services"]["otelcol"]["image"] == f"otel/opentelemetry-collector-contrib:{version}"


def test_build_script_serves_the_cached_binary_by_manifest_hash() -> None:
    binary = collector_binary()
    started = time.monotonic()
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=60, check=True)
    assert time.monotonic() - started < 10
    assert done.stdout.strip() == binary
    digest = hashlib.sha256(MANIFEST.read_bytes()).hexdigest()[:16]
    assert Path(binary).parent.name == f"otelcol-{digest}"
    assert (Path(binary).parent / "manifest.yaml").read_bytes() == MANIFEST.read_bytes()


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def test_every_environment_variable_of_the_configs_is_documented() -> None:
    values = [s for config in CONFIGS for s in _strings(yaml.safe_load(config.read_text(encoding="utf-8")))]
    variables = {name for value in values for name in re.findall(r"\$\{env:([A-Z0-9_]+)", value)}
    readme = (COLLECTOR_DIR / "README.md").read_text(encoding="utf-8")
    assert {v for v in variables if f"`{v}`" not in readme} == set()
    # The variables without a default are exactly the ones a deployment must set.
    required = {name for value in values for name in re.findall(r"\$\{env:([A-Z0-9_]+)\}", value)}
    assert required == set(REQUIRED_ENV)
