"""The report's numbers per group and in total, from the exact growth of the genai-cost counters.

Calls and errors come from the duration histogram's count (every call records one point; a failed
call carries `error_type`). That histogram has the semantic-convention labels only (provider,
models, operation, job, instance), so a grouping or filter by an attribution label (team,
tenant_id, ...) has no call counts: they are reported as null, with a note, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from genai_cost import names
from genai_cost.report.exact import Counter, GroupKey

COST = Counter("gen_ai_client_cost_usd_total")
SAVINGS = Counter("gen_ai_client_cost_savings_usd_total")
TOKENS = Counter("gen_ai_client_tokens_total", "gen_ai_token_type")
UNPRICED = Counter("gen_ai_client_unpriced_total")
CALLS = Counter("gen_ai_client_operation_duration_seconds_count", "error_type")
COUNTERS = (COST, SAVINGS, TOKENS, UNPRICED, CALLS)

TOKEN_TYPES = (
    names.TOKEN_INPUT,
    names.TOKEN_CACHE_READ,
    names.TOKEN_CACHE_WRITE,
    names.TOKEN_OUTPUT,
    names.TOKEN_REASONING,
)
# Names users type for the labels of the counters.
ALIASES = {
    "provider": "gen_ai_provider_name",
    "model": "gen_ai_request_model",
    "request_model": "gen_ai_request_model",
    "response_model": "gen_ai_response_model",
    "operation": "gen_ai_operation_name",
    "service": "job",
    "tenant": "tenant_id",
    "user": "user_id",
}
DEFAULT_BY = ("gen_ai_provider_name", "gen_ai_request_model")


def label_name(text: str) -> str:
    """A label as the counters carry it: aliases resolved, `tenant.id` written as `tenant_id`."""
    text = text.strip()
    return ALIASES.get(text, text.replace(".", "_").replace("-", "_"))


@dataclass
class Figures:
    cost_usd: float = 0.0
    cache_savings_usd: float = 0.0
    tokens: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOKEN_TYPES, 0.0))
    unpriced_calls: float = 0.0
    calls: float | None = None  # None: not available for this grouping (see the module docstring)
    errors: float | None = None

    @property
    def cache_hit_rate(self) -> float | None:
        """Cache-read share of input tokens; None without input."""
        total = self.tokens[names.TOKEN_INPUT]
        return self.tokens[names.TOKEN_CACHE_READ] / total if total else None

    @property
    def reasoning_share(self) -> float | None:
        total = self.tokens[names.TOKEN_OUTPUT]
        return self.tokens[names.TOKEN_REASONING] / total if total else None

    def add(self, other: Figures) -> None:
        self.cost_usd += other.cost_usd
        self.cache_savings_usd += other.cache_savings_usd
        self.unpriced_calls += other.unpriced_calls
        for kind, count in other.tokens.items():
            self.tokens[kind] += count
        self.calls = _plus(self.calls, other.calls)
        self.errors = _plus(self.errors, other.errors)

    def is_empty(self) -> bool:
        return not (self.cost_usd or self.unpriced_calls or self.calls or any(self.tokens.values()))


def _plus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def assemble(
    values: Mapping[Counter, Mapping[GroupKey, float]], width: int, calls_available: bool
) -> dict[GroupKey, Figures]:
    """Figures per group key (the first `width` label values) from each counter's growth per key."""
    groups: dict[GroupKey, Figures] = defaultdict(lambda: Figures(calls=0.0 if calls_available else None,
                                                                errors=0.0 if calls_available else None))  # fmt: skip
    for key, value in values.get(COST, {}).items():
        groups[key[:width]].cost_usd += value
    for key, value in values.get(SAVINGS, {}).items():
        groups[key[:width]].cache_savings_usd += value
    for key, value in values.get(UNPRICED, {}).items():
        groups[key[:width]].unpriced_calls += value
    for key, value in values.get(TOKENS, {}).items():
        kind = key[width]
        if kind in TOKEN_TYPES:
            groups[key[:width]].tokens[kind] += value
    if calls_available:
        for key, value in values.get(CALLS, {}).items():
            figures = groups[key[:width]]
            figures.calls = (figures.calls or 0.0) + value
            if key[width]:
                figures.errors = (figures.errors or 0.0) + value
    return {key: figures for key, figures in groups.items() if not figures.is_empty()}


def total_of(groups: Iterable[Figures], calls_available: bool) -> Figures:
    total = Figures(calls=0.0 if calls_available else None, errors=0.0 if calls_available else None)
    for figures in groups:
        total.add(figures)
    return total


def as_dict(figures: Figures) -> dict[str, float | None]:
    """The figures as the JSON report names them."""
    return {
        "calls": figures.calls,
        "errors": figures.errors,
        "cost_usd": figures.cost_usd,
        "cache_savings_usd": figures.cache_savings_usd,
        "cache_hit_rate": figures.cache_hit_rate,
        "unpriced_calls": figures.unpriced_calls,
        **{f"{kind}_tokens": figures.tokens[kind] for kind in TOKEN_TYPES},
    }


def labels_of(by: Sequence[str], key: GroupKey) -> dict[str, str]:
    return dict(zip(by, key, strict=False))
