"""The instrumentor of every SDK package: patches an SDK's modules when the app imports them.

`instrument()` imports nothing of the SDK: it registers a post-import hook (wrapt's) for each module
that holds a patched method, which runs at once if the module is already imported. SDKs load their
API modules lazily (openai imports `openai.resources.responses` on the first `client.responses`), so
an app pays only for what it uses: nothing for an SDK it never imports, nothing for the parts of an
SDK it never calls. The SDK's own import also readies genai-cost's call path (its modules and the
instruments), so that the app's first call does not wait for them. `uninstrument()` unwraps what
was patched; a hook that has not run yet finds the instrumentor off and does nothing.

The SDK's version is checked when it is imported, against the instrumentor's `instruments`: an SDK
older than supported is said once, in one line, and its calls pass through unmeasured. The
distribution declares no SDK requirement for `opentelemetry-instrument` to check at start: that
check would read an SDK's metadata once per entry point, six times in every process start, and an
SDK that is missing or too old disables only its own instrumentor.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import sys
import threading
from collections.abc import Collection, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

if TYPE_CHECKING:
    from genai_cost.instrumentation.api import Patch

logger = logging.getLogger("genai_cost")


class SdkInstrumentor(BaseInstrumentor):
    """Subclasses name the SDK: its distribution requirement, and the module of its declarations:
    `MODULES` (the modules holding patched methods, plain data), `PATCHES`, `CALLS` and optionally
    `forget()`. The declarations module is imported only once the SDK is."""

    instruments: Sequence[str] = ()  # e.g. ("openai >= 1.40.0",)
    sdk_module: str = ""  # the SDK's top-level package
    modules: Sequence[str] = ()  # the SDK modules holding patched methods, each patched on its import
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
        self._reported: set[str] = set()  # what is missing from the installed SDK, logged once

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._kwargs = kwargs
            hooked, self._hooked = self._hooked, True
        if not hooked:  # one hook per module and process: it reads the current state when it runs
            wrapt.register_post_import_hook(self._on_sdk_import, self.sdk_module)
            for module in self.modules:
                wrapt.register_post_import_hook(self._on_import, module)
            return
        if sys.modules.get(self.sdk_module) is not None:  # instrumented again after uninstrument
            self._on_sdk_import(sys.modules[self.sdk_module])
        for module in self.modules:
            if sys.modules.get(module) is not None:
                self._on_import(sys.modules[module])

    def _uninstrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._kwargs = None
            patched, self._patched = self._patched, []
            self._reported = set()
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

    def _on_sdk_import(self, sdk: Any) -> None:
        """Get the call path ready, and say once, in one line, what this SDK version lacks of what
        its already imported modules should hold (a module that cannot be imported, a method missing
        from a class); modules imported later say theirs when they are. Nothing of the SDK is
        imported to find out."""
        with self._lock:
            kwargs = self._kwargs
            if kwargs is None or self._too_old:  # uninstrumented before the SDK's import, or too old
                return
        self._prepare(kwargs)
        present = [module for module in self.modules if module in sys.modules]
        if not present:
            return
        try:
            declarations = importlib.import_module(self.wrappers_module)
            patches = [patch for patch in declarations.PATCHES if patch.module in present]
            self._report([f"{patch.module}.{patch.method}" for patch in patches if not _has(patch)])
        except Exception:
            logger.debug("genai-cost: could not check %s", self.sdk_module, exc_info=True)

    def _prepare(self, kwargs: dict[str, Any]) -> None:
        """Import the call path (the wrapper, the call's lifecycle, pricing, the instruments) and make
        the instruments with the SDK's own import, so that the app's first call does not wait for
        them. Only a process that imports the SDK pays; the price data still loads with the first
        call, in the background while its request is in flight."""
        try:
            from genai_cost.handler import get_telemetry

            importlib.import_module(self.wrappers_module)
            get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        except Exception:  # the first call imports (and reports) it again
            logger.debug("genai-cost: could not prepare the call path of %s", self.sdk_module, exc_info=True)

    @cached_property
    def _too_old(self) -> str | None:
        """The installed SDK as "name version" when it does not meet `instruments`, else None; read
        once (under the lock) and said once."""
        try:
            found = unmet(self.instruments)
        except Exception:  # a version this check cannot read: measure the SDK rather than drop it
            logger.debug("genai-cost: could not check the %s version", self.sdk_module, exc_info=True)
            return None
        if found is not None:
            required = ", ".join(self.instruments)
            logger.warning(
                "genai-cost: %s is older than genai-cost measures (%s); its calls are not measured", found, required
            )
        return found

    def _report(self, missing: list[str]) -> None:
        missing = [name for name in missing if name not in self._reported]
        if missing:  # one line for all of them: an older SDK is normal, not an error
            self._reported.update(missing)
            missed = ", ".join(missing)
            logger.info("genai-cost: this %s has no %s; those calls are not measured", self.sdk_module, missed)

    def _on_import(self, module: Any) -> None:
        """Patch what `module` holds (the post-import hook; never raises into the app's import)."""
        try:
            with self._lock:
                if self._kwargs is not None and not self._too_old:
                    self._patch(module.__name__, self._kwargs)
        except Exception:
            logger.warning("genai-cost: could not instrument %s", getattr(module, "__name__", module), exc_info=True)

    def _patch(self, module_name: str, kwargs: dict[str, Any]) -> None:
        from genai_cost.handler import get_telemetry
        from genai_cost.instrumentation.wrapper import make_wrapper

        declarations = importlib.import_module(self.wrappers_module)
        telemetry = get_telemetry(kwargs.get("tracer_provider"), kwargs.get("meter_provider"))
        missing = []
        for patch in declarations.PATCHES:
            if patch.module != module_name or patch in self._patched:
                continue
            wrapper = patch.wrapper or make_wrapper(telemetry, declarations.CALLS, patch.api, patch.is_async)
            try:
                wrapt.wrap_function_wrapper(patch.module, patch.method, wrapper)
                self._patched.append(patch)
            except (ImportError, AttributeError):  # an SDK version without this method
                missing.append(f"{patch.module}.{patch.method}")
        self._report(missing)


def unmet(requirements: Sequence[str]) -> str | None:
    """The first of `requirements` ("openai >= 1.40.0") the installed distributions do not meet, as
    "name version"; None when all are met. A distribution that is not installed as one (an SDK run
    from a source tree) is not refused."""
    from packaging.requirements import Requirement

    for text in requirements:
        requirement = Requirement(text)
        installed = installed_version(requirement.name)
        if installed is not None and not requirement.specifier.contains(installed, prereleases=True):
            return f"{requirement.name} {installed}"
    return None


def installed_version(distribution: str) -> str | None:
    """The installed version of `distribution`, None when it is not installed.

    Read off the metadata's header: importlib.metadata.version() parses the whole file, an SDK's long
    description included, with the email parser (about 1 ms, on the app's import of the SDK)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    header = (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").partition("\n\n")[0]
    for line in header.splitlines():
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    return dist.version


def _has(patch: Patch) -> bool:
    """Whether an imported SDK module has a patched method (None in sys.modules: it cannot be imported)."""
    module = sys.modules.get(patch.module)
    owner, _, attribute = patch.method.rpartition(".")
    target = getattr(module, owner, None) if owner else module
    return target is not None and hasattr(target, attribute)
