"""What LiteLLM's calls are: its four entry points, at the provider and model LiteLLM resolves.

`litellm.completion("bedrock/us.anthropic.claude-...")` is a call to `aws.bedrock` of model
`us.anthropic.claude-...`: LiteLLM's own `get_llm_provider` says so before the call is sent, and
the span and the price use that, never LiteLLM's own cost. LiteLLM often sends through the openai
SDK; that inner call is nested in this one (call.py), so the call is recorded once.

Chat streams report usage only when asked: as for the openai SDK, genai-cost asks on the app's
behalf (`stream_options.include_usage`, which LiteLLM maps for every provider) and hides the
extra usage chunk from an app that did not ask for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genai_cost import endpoints, names
from genai_cost.call import Call
from genai_cost.instrumentation.api import Api, Patch
from genai_cost.instrumentation.wrapper import Calls, Request, Run, finish, proxy_stream
from genai_cost.litellm import content, extract
from genai_cost.providers import PROVIDERS, Provider

_CONTENT: dict[str, Any] = dict(
    request_content=content.request_content,
    response_content=content.response_content,
    stream_content=content.StreamContent,
)
COMPLETION = Api(names.OP_CHAT, extract.chat_outcome, **_CONTENT)
ACOMPLETION = Api(names.OP_CHAT, extract.chat_outcome, **_CONTENT)  # told apart by identity: its streams are async
EMBEDDING = Api(names.OP_EMBEDDINGS, extract.embeddings_outcome)

PATCHES = (
    Patch("litellm", "completion", COMPLETION),
    Patch("litellm", "acompletion", ACOMPLETION, is_async=True),
    Patch("litellm", "embedding", EMBEDDING),
    Patch("litellm", "aembedding", EMBEDDING, is_async=True),
)

# LiteLLM's provider names -> gen_ai.provider.name (others keep LiteLLM's name, unpriced).
_PROVIDERS = {
    "openai": "openai", "text-completion-openai": "openai", "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai", "anthropic": "anthropic", "bedrock": "aws.bedrock", "mistral": "mistral_ai",
    "gemini": "gcp.gemini", "vertex_ai": "gcp.vertex_ai", "vertex_ai_beta": "gcp.vertex_ai", "groq": "groq",
    "deepseek": "deepseek", "xai": "x_ai", "openrouter": "openrouter", "together_ai": "together",
    "fireworks_ai": "fireworks", "perplexity": "perplexity", "moonshot": "moonshot_ai", "ollama": "ollama",
    "ollama_chat": "ollama", "lm_studio": "lm_studio", "hosted_vllm": "vllm", "vllm": "vllm",
}  # fmt: skip


# LiteLLM's Bedrock route prefixes (`bedrock/converse/<model id>`): the route, not part of the model id.
_BEDROCK_ROUTES = ("converse/", "invoke/", "converse_like/")


def provider_of(litellm_provider: str) -> Provider:
    name = _PROVIDERS.get(litellm_provider)
    return PROVIDERS[name] if name else Provider(litellm_provider, None)


def _resolved(kwargs: Mapping[str, Any], args: tuple[Any, ...]) -> tuple[str | None, str, str | None]:
    """(model, LiteLLM's provider, API base) as LiteLLM will resolve them."""
    from litellm import get_llm_provider

    model = kwargs.get("model", args[0] if args else None)
    if not isinstance(model, str):
        return None, "openai", None
    resolved, provider, _key, api_base = get_llm_provider(
        model, kwargs.get("custom_llm_provider"), kwargs.get("api_base") or kwargs.get("base_url")
    )
    if provider == "bedrock" and resolved.startswith(_BEDROCK_ROUTES):
        resolved = resolved.split("/", 1)[1]
    return resolved, provider, api_base


class _Run(Run):
    __slots__ = ("hide",)  # the app gets no usage-only chunk it did not ask for


class LiteLLMCalls(Calls):
    def request(self, api: Api, instance: Any, args: Any, kwargs: Any) -> Request:
        model, litellm_provider, api_base = _resolved(kwargs, args)
        address = endpoints.detect(api_base) if api_base else None
        endpoint = endpoints.Endpoint(
            provider_of(litellm_provider), address.address if address else None, address.port if address else None
        )
        return Request(endpoint, model, kwargs.get("stream") is True, kwargs)

    def run(self, call: Call, api: Api, request: Request, args: Any, kwargs: Any) -> Run:
        run = _Run(self, call, api, args, kwargs)
        run.hide = False
        if request.stream and api is not EMBEDDING:
            run.kwargs, run.hide = endpoints.ask_stream_usage(kwargs)
        return run

    def result(self, run: Run, result: Any) -> Any:
        if run.api is not EMBEDDING and _is_stream(result):
            assert isinstance(run, _Run)
            accumulator = extract.StreamAccumulator(run.call.endpoint.provider, run.hide)
            return proxy_stream(run, result, accumulator, run.api is ACOMPLETION)
        return finish(run, result)


CALLS = LiteLLMCalls()


def _is_stream(result: Any) -> bool:
    return type(result).__name__ == "CustomStreamWrapper"
