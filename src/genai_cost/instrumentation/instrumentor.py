"""The instrumentor of every SDK package: patches an SDK when the app imports it, never before.

`instrument()` imports no SDK: it registers a post-import hook (wrapt's) for the SDK's top-level
package, which runs at once if the app has already imported it. An app that never imports an SDK
pays nothing for it. `uninstrument()` unwraps what was patched, and a hook that has not run yet
finds the instrumentor off and patches nothing.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Collection, Sequence
from typing import Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

from genai_cost.instrumentation.api import Patch

logger = logging.getLogger("genai_cost")


class SdkInstrumentor(BaseInstrumentor):
    """Subclasses name the SDK: its distribution requirement, its top-level module, and the module of
    its declarations (`PATCHES`, `CALLS` and optionally `forget()`, imported only once the SDK is)."""

    instruments: Sequence[str] = ()  # e.g. ("openai >= 1.40.0",)
    sdk_module: str = ""  # the SDK's top-level package, whose import triggers patching
    # Other modules whose import triggers it: a namespace package runs no post-import hook, so an SDK
    # that became one (mistralai 2.0) is seen by its subpackage's import instead.
    also_on: Sequence[str] = ()
    wrappers_module: str = ""  # genai_cost.<sdk>.wrappers

    def __init__(self) -> None:
        # BaseInstrumentor makes each subclass a singleton and every construction runs __init__ again:
        # the state is set once, by the first.
        if "_lock" in self.__dict__:
            return
        self._lock = threading.Lock()
        self._kwargs: dict[str, Any] | None = None  # set while instrumented
        self._hooked = False
        self._patched: list[Patch] = []

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._kwargs = kwargs
            hooked, self._hooked = self._hooked, True
        modules = (self.sdk_module, *self.also_on)
        if not hooked:  # one hook per module and process: it reads the current state when it runs
            for module in modules:
                wrapt.register_post_import_hook(self._on_import, module)
        elif any(module in sys.modules for module in modules):  # instrumented again after uninstrument
            self._on_import(None)

    def _uninstrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._kwargs = None
            patched, self._patched = self._patched, []
        declarations = sys.modules.get(self.wrappers_module)
        forget = getattr(declarations, "forget", None)
        if forget is not None:  # what the SDK package remembers across calls
            forget()
        for patch in patched:
            owner, _, attribute = patch.method.rpartition(".")
            try:
                module = importlib.import_module(patch.module)
                unwrap(getattr(module, owner) if owner else module, attribute)
            except (ImportError, AttributeError):
                continue

    def _on_import(self, module: Any) -> None:
        """Patch the SDK (the post-import hook; never raises into the app's import)."""
        try:
            with self._lock:
                if self._kwargs is None or self._patched:
                    return
                self._patched = self._patch(self._kwargs)
        except Exception:
            logger.warning("genai-cost: could not instrument %s", self.sdk_module, exc_info=True)

    def _patch(self, kwargs: dict[str, Any]) -> list[Patch]:
        from genai_cost.handler import get_telemetry
        from genai_cost.instrumentation.wrapper import make_wrapper

        declarations = importlib.import_module(self.wrappers_module)
        telemetry = get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        patched, missing = [], []
        for patch in declarations.PATCHES:
            wrapper = patch.wrapper or make_wrapper(telemetry, declarations.CALLS, patch.api, patch.is_async)
            try:
                wrapt.wrap_function_wrapper(patch.module, patch.method, wrapper)
                patched.append(patch)
            except (ImportError, AttributeError):  # an SDK version without this method
                missing.append(f"{patch.module}.{patch.method}")
        if missing:  # one line for all of them: an older SDK is normal, not an error
            missed = ", ".join(missing)
            logger.info("genai-cost: this %s has no %s; those calls are not measured", self.sdk_module, missed)
        return patched
