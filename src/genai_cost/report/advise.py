"""Ranked recommendations, each with a dollar figure for the period, its arithmetic and assumptions.

Every estimate reprices the observed token mix (input, cache reads and writes, output, reasoning,
from the counters) with the same PriceBook the instrumentation uses, at the prices in force at the
end of the period, in the base band (below long-context thresholds), standard tier, cache writes
as 5-minute writes. Kinds: `model_switch`, `prompt_caching`, `batch_api`, `unpriced`, `reasoning`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from genai_cost import names
from genai_cost.pricing import PriceBook, Rates
from genai_cost.providers import PROVIDERS
from genai_cost.report import candidates as cand
from genai_cost.report.figures import Figures
from genai_cost.usage import Usage

BATCH_PROVIDERS = frozenset({"openai", "azure.ai.openai", "anthropic", "gcp.gemini", "gcp.vertex_ai"})
ModelKey = tuple[str, str]  # (gen_ai_provider_name, gen_ai_request_model)
ServiceKey = tuple[str, str, str]  # (job, provider, model)


@dataclass
class Options:
    cache_hit_rate: float = 0.5  # the hit rate prompt caching is assumed to reach
    min_input_tokens: float = 1_000_000  # models with less input in the period are not worth a caching change
    reasoning_share: float = 0.5  # models spending more of their output on reasoning are flagged
    reasoning_cut: float = 0.5  # the share of reasoning tokens a lower effort is assumed to save
    batch_share: float = 1.0  # the share of a service's spend assumed to tolerate the batch API's delay
    min_usd: float = 0.01  # smaller savings are not listed
    candidates: dict[str, dict[str, list[str]]] = field(default_factory=lambda: cand.load(None))


@dataclass
class Advice:
    kind: str
    title: str
    usd: float | None  # the dollar estimate for the period (a saving; for `unpriced`, spend not counted)
    arithmetic: str
    assumptions: list[str]
    labels: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rates_of(book: PriceBook, provider: str, model: str, at: float) -> Rates | None:
    known = PROVIDERS.get(provider)
    if known is None:
        return None
    entry = book.resolve(known, model, None, at)
    return None if entry.name is None else entry.rates_for(0)


def mix(f: Figures) -> Usage:
    t = f.tokens
    return Usage(
        input_tokens=t[names.TOKEN_INPUT],  # type: ignore[arg-type]  # sums of counters: floats
        output_tokens=t[names.TOKEN_OUTPUT],  # type: ignore[arg-type]
        cache_read_tokens=t[names.TOKEN_CACHE_READ],  # type: ignore[arg-type]
        cache_write_tokens=t[names.TOKEN_CACHE_WRITE],  # type: ignore[arg-type]
        reasoning_tokens=t[names.TOKEN_REASONING],  # type: ignore[arg-type]
    )


def _mix_text(f: Figures) -> str:
    t = f.tokens
    return (
        f"input {t['input']:,.0f} (cache read {t['cache_read']:,.0f}, cache write {t['cache_write']:,.0f}), "
        f"output {t['output']:,.0f} (reasoning {t['reasoning']:,.0f})"
    )


PRICE_NOTE = "prices in force at the end of the period, standard tier, base band, cache writes as 5-minute writes"


def model_switch(key: ModelKey, f: Figures, book: PriceBook, at: float, options: Options) -> Advice | None:
    provider, model = key
    current = rates_of(book, provider, model, at)
    if current is None:
        return None
    usage, now_usd = mix(f), current.cost(mix(f))
    priced = [(r.cost(usage), m) for m in cand.for_model(options.candidates, provider, model)
              if (r := rates_of(book, provider, m, at)) is not None]  # fmt: skip
    if not priced:
        return None
    best_usd, best = min(priced)
    if now_usd - best_usd < options.min_usd:
        return None
    return Advice(
        "model_switch",
        f"{model} -> {best} ({provider})",
        now_usd - best_usd,
        f"the same tokens ({_mix_text(f)}) cost ${now_usd:,.4f} at {model}'s prices and ${best_usd:,.4f} at "
        f"{best}'s: ${now_usd:,.4f} - ${best_usd:,.4f} = ${now_usd - best_usd:,.4f}",
        ["the cheaper model's answers are good enough for these calls (test before switching)",
         "the same number of tokens on the other model", PRICE_NOTE],
        {"gen_ai_provider_name": provider, "gen_ai_request_model": model, "candidate": best},
    )  # fmt: skip


def prompt_caching(key: ModelKey, f: Figures, book: PriceBook, at: float, options: Options) -> Advice | None:
    provider, model = key
    rates = rates_of(book, provider, model, at)
    input_tokens, cached = f.tokens[names.TOKEN_INPUT], f.tokens[names.TOKEN_CACHE_READ]
    if rates is None or rates.cache_read >= 0 or input_tokens < options.min_input_tokens:
        return None
    extra = options.cache_hit_rate * input_tokens - cached
    saving = extra * -rates.cache_read
    if extra <= 0 or saving < options.min_usd:
        return None
    hit = cached / input_tokens
    per_m_in, per_m_cached = rates.input * 1e6, (rates.input + rates.cache_read) * 1e6
    return Advice(
        "prompt_caching",
        f"prompt caching for {model} ({provider}): hit rate {hit:.1%} -> {options.cache_hit_rate:.0%}",
        saving,
        f"{options.cache_hit_rate:.0%} of {input_tokens:,.0f} input tokens = "
        f"{options.cache_hit_rate * input_tokens:,.0f} "
        f"cached, {extra:,.0f} more than the {cached:,.0f} now; each costs ${per_m_cached:g} instead of ${per_m_in:g} "
        f"per million: {extra:,.0f} x (${per_m_in:g} - ${per_m_cached:g}) / 1e6 = ${saving:,.4f}",
        [f"prompts share a stable prefix long enough to cache; the hit rate reaches {options.cache_hit_rate:.0%}",
         "the cost of writing the cache is not counted (Anthropic bills 5-minute writes at 1.25x input; "
         "OpenAI and Gemini implicit caching write for free)", PRICE_NOTE],
        {"gen_ai_provider_name": provider, "gen_ai_request_model": model},
    )  # fmt: skip


def batch_api(key: ServiceKey, f: Figures, options: Options) -> Advice | None:
    job, provider, model = key
    saving = 0.5 * options.batch_share * f.cost_usd
    if provider not in BATCH_PROVIDERS or saving < options.min_usd:
        return None
    share = f"{options.batch_share:.0%} of " if options.batch_share != 1 else ""
    return Advice(
        "batch_api",
        f"batch API for {job or '(no job)'} / {model} ({provider})",
        saving,
        f"{share}${f.cost_usd:,.4f} spent by this service on {model}, at the batch rate of 50%: "
        f"0.5 x {options.batch_share:g} x ${f.cost_usd:,.4f} = ${saving:,.4f}",
        [f"{share or 'all '}these calls can wait for a result (the batch APIs answer within 24 hours)",
         "batch prices are half the standard ones at OpenAI, Anthropic and Google"],
        {"job": job, "gen_ai_provider_name": provider, "gen_ai_request_model": model},
    )  # fmt: skip


def unpriced(key: ModelKey, f: Figures, provider_rate: float | None) -> Advice | None:
    provider, model = key
    if not f.unpriced_calls:
        return None
    tokens = f.tokens[names.TOKEN_INPUT] + f.tokens[names.TOKEN_OUTPUT]
    uncounted = tokens if not f.cost_usd else tokens * f.unpriced_calls / f.calls if f.calls else None
    usd = uncounted * provider_rate if uncounted is not None and provider_rate is not None else None
    basis = "no estimate: no priced model of this provider to compare"
    if usd is not None:
        basis = (
            f"{uncounted:,.0f} tokens x ${provider_rate * 1e6:g} per million (the provider's average over its "
            f"priced models) = ${usd:,.4f}"
        )
    return Advice(
        "unpriced",
        f"add a price for {model} ({provider}): {f.unpriced_calls:,.0f} calls not counted",
        usd,
        basis,
        ["the model costs about what this provider's priced models cost per token",
         "add the model to a price file (GENAI_COST_PRICES_FILE) so its calls are counted"],
        {"gen_ai_provider_name": provider, "gen_ai_request_model": model},
    )  # fmt: skip


def reasoning(key: ModelKey, f: Figures, book: PriceBook, at: float, options: Options) -> Advice | None:
    provider, model = key
    rates, share = rates_of(book, provider, model, at), f.reasoning_share
    if rates is None or share is None or share < options.reasoning_share:
        return None
    tokens = f.tokens[names.TOKEN_REASONING]
    per_m = (rates.output + rates.reasoning) * 1e6
    spent = tokens * per_m / 1e6
    saving = options.reasoning_cut * spent
    if saving < options.min_usd:
        return None
    return Advice(
        "reasoning",
        f"reasoning-heavy {model} ({provider}): {share:.0%} of output is reasoning",
        saving,
        f"{tokens:,.0f} reasoning tokens x ${per_m:g} per million = ${spent:,.4f} spent on reasoning; "
        f"{options.reasoning_cut:.0%} of it = ${saving:,.4f}",
        [f"a lower reasoning effort or thinking budget cuts reasoning tokens by {options.reasoning_cut:.0%}",
         "answers stay good enough with less reasoning", PRICE_NOTE],
        {"gen_ai_provider_name": provider, "gen_ai_request_model": model},
    )  # fmt: skip


def _provider_rates(models: Mapping[ModelKey, Figures]) -> dict[str, float]:
    """USD per token of each provider's priced models (all tokens of models with a cost)."""
    cost: dict[str, float] = {}
    tokens: dict[str, float] = {}
    for (provider, _), f in models.items():
        if f.cost_usd and not f.unpriced_calls:
            cost[provider] = cost.get(provider, 0.0) + f.cost_usd
            tokens[provider] = tokens.get(provider, 0.0) + f.tokens["input"] + f.tokens["output"]
    return {p: cost[p] / tokens[p] for p in cost if tokens[p]}


def recommend(
    models: Mapping[ModelKey, Figures],
    services: Mapping[ServiceKey, Figures],
    book: PriceBook,
    at: float,
    options: Options | None = None,
) -> list[Advice]:
    """Every recommendation, largest dollar figure first (those without one last)."""
    options = options or Options()
    rates = _provider_rates(models)
    found: list[Advice | None] = []
    for key, f in models.items():
        found += [model_switch(key, f, book, at, options), prompt_caching(key, f, book, at, options),
                  reasoning(key, f, book, at, options), unpriced(key, f, rates.get(key[0]))]  # fmt: skip
    found += [batch_api(key, f, options) for key, f in services.items()]
    advice = [a for a in found if a is not None]
    advice.sort(key=lambda a: (a.usd is None, -(a.usd or 0.0), a.kind, a.title))
    return advice


def table(advice: list[Advice]) -> str:
    if not advice:
        return "no recommendations for this period\n"
    lines = []
    for rank, a in enumerate(advice, 1):
        usd = "unknown" if a.usd is None else f"${a.usd:,.2f}"
        lines += [f"{rank}. [{a.kind}] {a.title}: {usd}", f"   how: {a.arithmetic}"]
        lines += [f"   assumes: {text}" for text in a.assumptions]
    return "\n".join(lines) + "\n"


def markdown_items(advice: list[Advice]) -> str:
    lines = []
    for rank, a in enumerate(advice, 1):
        usd = "unknown" if a.usd is None else f"${a.usd:,.2f}"
        lines += [f"{rank}. **{a.title}**: {usd} ({a.kind})", f"   - how: {a.arithmetic}"]
        lines += [f"   - assumes: {text}" for text in a.assumptions]
    return "\n".join(lines) if lines else "No recommendations for this period."
