"""Instrument, uninstrument, instrument twice, and a missing SDK."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import openai
import pytest
from openai.resources.chat.completions.completions import AsyncCompletions, Completions
from openai.resources.embeddings import Embeddings
from openai.resources.responses.responses import Responses

from genai_cost.instrumentation.instrumentor import installed_version, unmet
from genai_cost.mockprovider import MockProvider
from genai_cost.openai import OpenAICostInstrumentor
from tests.conftest import Pipeline, env_map, set_env

PATCHED = [
    (Completions, "create"),
    (Completions, "parse"),
    (AsyncCompletions, "create"),
    (Responses, "create"),
    (Responses, "retrieve"),
    (Embeddings, "create"),
]


def test_uninstrument_restores_the_sdk(pipeline: Pipeline) -> None:
    originals = {(cls, name): cls.__dict__[name] for cls, name in PATCHED}
    instrumentor = OpenAICostInstrumentor()
    instrumentor.instrument(tracer_provider=pipeline.tracer_provider, meter_provider=pipeline.meter_provider)
    try:
        assert all(cls.__dict__[name] is not originals[(cls, name)] for cls, name in PATCHED)
    finally:
        instrumentor.uninstrument()
    assert all(cls.__dict__[name] is originals[(cls, name)] for cls, name in PATCHED)


def test_instrumenting_twice_records_once(
    pipeline: Pipeline, mock_openai: MockProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_env(monkeypatch, **env_map(mock_openai, "openai"))
    instrumentor = OpenAICostInstrumentor()
    kwargs = {"tracer_provider": pipeline.tracer_provider, "meter_provider": pipeline.meter_provider}
    instrumentor.instrument(**kwargs)
    instrumentor.instrument(**kwargs)
    try:
        client = openai.OpenAI(base_url=mock_openai.base_url, max_retries=0)
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    finally:
        instrumentor.uninstrument()
    assert len(pipeline.finished()) == 1
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert len(pipeline.finished()) == 1  # uninstrumented: nothing more


def test_missing_sdk_is_not_an_error() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["openai"] = None  # as if openai were not installed
        from genai_cost.openai import OpenAICostInstrumentor
        OpenAICostInstrumentor().instrument(skip_dep_check=True)
        OpenAICostInstrumentor().uninstrument()
        print("alive")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "alive"
    assert "Traceback" not in result.stderr


def test_entry_point_is_declared() -> None:
    from importlib.metadata import entry_points

    [entry] = [ep for ep in entry_points(group="opentelemetry_instrumentor") if ep.name == "genai_cost_openai"]
    assert entry.load() is OpenAICostInstrumentor


# --- the SDK's version: checked at its import, not at the process's start ------------------------
_TOO_OLD = """
import json, logging, sys
import wrapt

lines = []
handler = logging.Handler()
handler.emit = lambda record: lines.append(record.getMessage())
logging.getLogger("genai_cost").addHandler(handler)
from genai_cost.openai import OpenAICostInstrumentor

class FromTheFuture(OpenAICostInstrumentor):
    instruments = ("openai >= 999.0",)

FromTheFuture().instrument(skip_dep_check=True)
import openai
from openai.resources.chat.completions.completions import Completions
from openai.resources.embeddings import Embeddings

wrapped = [isinstance(vars(c)["create"], wrapt.FunctionWrapper) for c in (Completions, Embeddings)]
print(json.dumps({"version": openai.__version__, "lines": lines, "call path": "genai_cost.handler" in sys.modules,
                  "wrapped": wrapped}))
"""


def test_an_sdk_older_than_measured_passes_through_and_is_said_once() -> None:
    result = subprocess.run([sys.executable, "-c", _TOO_OLD], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["wrapped"] == [False, False]
    assert seen["call path"] is False  # nothing of genai-cost's call path is loaded for it
    assert seen["lines"] == [
        f"genai-cost: openai {seen['version']} is older than genai-cost measures (openai >= 999.0); "
        "its calls are not measured"
    ]


@pytest.mark.parametrize("distribution", ["openai", "anthropic", "google-genai", "botocore", "mistralai", "litellm"])
def test_the_installed_version_is_the_one_importlib_metadata_reads(distribution: str) -> None:
    from importlib.metadata import version

    assert installed_version(distribution) == version(distribution)
    assert unmet([f"{distribution} >= 0.1"]) is None
    assert unmet([f"{distribution} >= 999"]) == f"{distribution} {version(distribution)}"


def test_a_distribution_not_installed_is_not_refused() -> None:
    assert installed_version("genai-cost-no-such-sdk") is None
    assert unmet(["genai-cost-no-such-sdk >= 1.0"]) is None


def test_opentelemetry_instrument_reads_no_sdk_metadata_at_start() -> None:
    """No `instruments` or `instruments-any` extra: the start's dependency check, run once per entry
    point, reads only genai-cost's own metadata."""
    from importlib.metadata import distribution

    from opentelemetry.instrumentation.dependencies import get_dist_dependency_conflicts

    dist = distribution("genai-cost")
    assert not [requirement for requirement in dist.requires or [] if "instruments" in requirement]
    assert get_dist_dependency_conflicts(dist) is None


# --- patch on import: instrumenting imports no SDK ------------------------------------------------
# Each case runs in a fresh interpreter, the only place where an SDK is truly not imported yet.
# (instrumentor, SDK module, patched module, patched "Class.method"), one row per SDK.
SDKS = {
    "openai": ("genai_cost.openai:OpenAICostInstrumentor", "openai",
               "openai.resources.chat.completions.completions", "Completions.create"),
    "anthropic": ("genai_cost.anthropic:AnthropicCostInstrumentor", "anthropic",
                  "anthropic._base_client", "SyncAPIClient.request"),
    "google-genai": ("genai_cost.google_genai:GoogleGenAICostInstrumentor", "google.genai",
                     "google.genai.models", "Models.generate_content"),
}  # fmt: skip

_PATCH_ON_IMPORT = """
import importlib, json, sys
import wrapt

instrumentor_path, sdk, module_name, method = sys.argv[1:5]
steps = sys.argv[5].split(",")
module_path, class_name = instrumentor_path.split(":")
instrumentor = getattr(importlib.import_module(module_path), class_name)()

def wrapped():
    owner, attribute = method.split(".")
    return isinstance(vars(getattr(importlib.import_module(module_name), owner))[attribute], wrapt.FunctionWrapper)

seen = {}
for step in steps:
    if step == "instrument":
        instrumentor.instrument(skip_dep_check=True)
    elif step == "uninstrument":
        instrumentor.uninstrument()
    elif step == "check":
        loaded = sorted(m for m in sys.modules if m == sdk or m.startswith(sdk + ".") or m == "genai_prices")
        seen.setdefault("loaded before import", loaded)
    elif step == "call path":
        seen[step] = sorted(m for m in ("genai_cost.handler", "genai_cost.instrumentation.wrapper", "genai_prices")
                            if m in sys.modules)
    elif step == "import":
        importlib.import_module(sdk)
        seen["wrapped after import"] = wrapped()
    else:
        seen[step] = wrapped()
print(json.dumps(seen))
"""


def _patch_on_import(sdk: str, steps: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _PATCH_ON_IMPORT, *SDKS[sdk], steps], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("sdk", SDKS)
def test_instrumenting_imports_no_sdk_and_a_later_import_is_patched(sdk: str) -> None:
    seen = _patch_on_import(sdk, "instrument,check,import")
    assert seen == {"loaded before import": [], "wrapped after import": True}


@pytest.mark.parametrize("sdk", SDKS)
def test_the_sdks_import_readies_the_call_path_but_not_the_price_data(sdk: str) -> None:
    """The app's first call does not wait for genai-cost's own modules; the price data waits for it."""
    seen = _patch_on_import(sdk, "instrument,call path")
    assert seen["call path"] == []  # instrumenting alone loads none of it
    seen = _patch_on_import(sdk, "instrument,import,call path")
    assert seen["call path"] == ["genai_cost.handler", "genai_cost.instrumentation.wrapper"]
    seen = _patch_on_import(sdk, "instrument,uninstrument,import,call path")
    assert seen["call path"] == []


@pytest.mark.parametrize("sdk", SDKS)
def test_uninstrument_before_the_import_leaves_the_sdk_untouched(sdk: str) -> None:
    seen = _patch_on_import(sdk, "instrument,uninstrument,check,import")
    assert seen == {"loaded before import": [], "wrapped after import": False}


@pytest.mark.parametrize("sdk", SDKS)
def test_uninstrument_after_the_import_restores_the_sdk(sdk: str) -> None:
    seen = _patch_on_import(sdk, "instrument,import,uninstrument,after uninstrument,instrument,instrumented again")
    assert seen == {"wrapped after import": True, "after uninstrument": False, "instrumented again": True}


@pytest.mark.parametrize("sdk", SDKS)
def test_an_sdk_imported_first_is_patched_at_once(sdk: str) -> None:
    seen = _patch_on_import(sdk, "import,instrument,patched at once,uninstrument,restored")
    assert seen == {"wrapped after import": False, "patched at once": True, "restored": False}


@pytest.mark.parametrize("sdk", ["openai", "anthropic", "google_genai"])
def test_package_names_every_module_its_patches_wrap(sdk: str) -> None:
    import importlib

    package = importlib.import_module(f"genai_cost.{sdk}.package")
    wrappers = importlib.import_module(f"genai_cost.{sdk}.wrappers")
    assert set(package.MODULES) == {patch.module for patch in wrappers.PATCHES}
    assert all(module.startswith(package.SDK_MODULE + ".") for module in package.MODULES)
