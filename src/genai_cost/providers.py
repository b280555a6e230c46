"""The providers genai-cost knows: their `gen_ai.provider.name` and how each is priced and read.

One table says, per provider, its `gen_ai.provider.name`, the genai-prices provider id, how its
OpenAI-format usage counts reasoning, and whether it accepts `stream_options.include_usage`. It
depends on nothing else in genai-cost, so the configuration can validate names against it. Which
provider a client talks to is `genai_cost.endpoints`' job.
"""

from __future__ import annotations

from typing import NamedTuple


class Provider(NamedTuple):
    name: str  # gen_ai.provider.name
    prices_id: str | None  # genai-prices provider id; None: not priced unless the user prices it
    # OpenAI-format usage: does completion_tokens include reasoning_tokens? (xAI: no)
    output_includes_reasoning: bool = True
    accepts_stream_usage: bool = False  # known to accept stream_options.include_usage
    local: bool = False  # a self-hosted server: unpriced by default, never a guessed price


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("openai", "openai", accepts_stream_usage=True),
        Provider("azure.ai.openai", "azure", accepts_stream_usage=True),
        Provider("x_ai", "x-ai", output_includes_reasoning=False, accepts_stream_usage=True),
        Provider("deepseek", "deepseek", accepts_stream_usage=True),
        Provider("groq", "groq", accepts_stream_usage=True),
        Provider("mistral_ai", "mistral"),
        Provider("openrouter", "openrouter", accepts_stream_usage=True),
        Provider("together", "together", accepts_stream_usage=True),
        Provider("fireworks", "fireworks", accepts_stream_usage=True),
        Provider("perplexity", "perplexity"),
        Provider("moonshot_ai", "moonshotai"),
        Provider("gcp.gemini", "google", accepts_stream_usage=True),
        Provider("gcp.vertex_ai", "google"),
        Provider("anthropic", "anthropic"),
        Provider("aws.bedrock", "aws"),
        Provider("vllm", None, local=True),
        Provider("ollama", None, local=True),
        Provider("lm_studio", None, local=True),
    )
}
KNOWN_PROVIDERS = frozenset(PROVIDERS)
