"""Wheel build hook: ship the deployment assets inside the package.

Every file under the folders named in genai_cost.stack.ASSET_DIRS (collector/, prometheus/,
grafana/, examples/) goes into the wheel as genai_cost/_assets/<path>, whatever those folders hold
at build time, so `genai-cost stack DIR` can write them for users who installed from PyPI. Editable
installs read them from the checkout instead.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _stack_module(root: Path) -> Any:
    # By path: the package's dependencies are not installed in the build environment.
    spec = importlib.util.spec_from_file_location("_genai_cost_stack", root / "src" / "genai_cost" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StackAssetsHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        stack = _stack_module(root)
        for relative in stack.asset_files(root):
            build_data["force_include"][str(root / relative)] = f"genai_cost/{stack.ASSETS_PACKAGE_DIR}/{relative}"
