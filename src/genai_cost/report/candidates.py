"""Cheaper models of the same provider to suggest in place of a model family, and an override file.

A family matches a model named exactly like it or followed by a version or date suffix
(`gpt-4o` matches `gpt-4o-2024-08-06`, not `gpt-4o-mini`). Candidates are priced on the model's own
provider; a candidate without a price there is skipped. The list is a starting point for a
conversation about quality, not a verdict: replace or extend it with `--candidates FILE`, a JSON
(or YAML) mapping of provider -> family -> [cheaper models], merged over this one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

BUNDLED: dict[str, dict[str, list[str]]] = {
    "openai": {
        "gpt-5": ["gpt-5-mini", "gpt-5-nano"],
        "gpt-5-mini": ["gpt-5-nano"],
        "gpt-4.1": ["gpt-4.1-mini", "gpt-4.1-nano"],
        "gpt-4.1-mini": ["gpt-4.1-nano"],
        "gpt-4o": ["gpt-4o-mini", "gpt-4.1-mini"],
        "gpt-4-turbo": ["gpt-4o", "gpt-4o-mini"],
        "o1": ["o3", "o4-mini"],
        "o3": ["o4-mini"],
    },
    "anthropic": {
        "claude-opus-4": ["claude-opus-4-5", "claude-sonnet-4-5"],
        "claude-opus-4-1": ["claude-opus-4-5", "claude-sonnet-4-5"],
        "claude-opus-4-5": ["claude-sonnet-4-5", "claude-haiku-4-5"],
        "claude-sonnet-4": ["claude-haiku-4-5"],
        "claude-sonnet-4-5": ["claude-haiku-4-5"],
        "claude-3-7-sonnet": ["claude-3-5-haiku", "claude-haiku-4-5"],
    },
    "gcp.gemini": {
        "gemini-2.5-pro": ["gemini-2.5-flash", "gemini-2.5-flash-lite"],
        "gemini-2.5-flash": ["gemini-2.5-flash-lite"],
        "gemini-2.0-flash": ["gemini-2.0-flash-lite"],
    },
    "x_ai": {"grok-4": ["grok-4-fast", "grok-3-mini"], "grok-3": ["grok-3-mini"]},
    "deepseek": {"deepseek-reasoner": ["deepseek-chat"]},
}
# Providers that serve the same models under the same names as another's list.
SAME_AS = {"azure.ai.openai": "openai", "gcp.vertex_ai": "gcp.gemini"}
_SUFFIX = re.compile(r"^-(\d|latest\b|preview\b|exp\b)")


class CandidateFileError(ValueError):
    pass


def load(path: str | None) -> dict[str, dict[str, list[str]]]:
    """The bundled list, with a user's file (provider -> family -> [models]) merged over it."""
    merged = {provider: dict(families) for provider, families in BUNDLED.items()}
    if not path:
        return merged
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            import yaml
        except ImportError:
            raise CandidateFileError(f"{path}: not JSON (YAML needs pip install 'genai-cost[yaml]')") from None
        data = yaml.safe_load(text)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise CandidateFileError(f"{path}: expected provider -> family -> [cheaper models]")
    for provider, families in data.items():
        for family, models in families.items():
            if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
                raise CandidateFileError(f"{path}: {provider}.{family}: expected a list of model names")
            merged.setdefault(provider, {})[family] = list(models)
    return merged


def for_model(table: dict[str, dict[str, list[str]]], provider: str, model: str) -> list[str]:
    """Candidate models for `model` of `provider` (the longest matching family wins)."""
    families = table.get(provider) or table.get(SAME_AS.get(provider, ""), {})
    name = model.lower()
    best = ""
    for family in families:
        if (name == family or (name.startswith(family) and _SUFFIX.match(name[len(family) :]))) and len(family) > len(
            best
        ):
            best = family
    return [m for m in families.get(best, []) if m != name] if best else []
