"""Deterministic token accounting shared by every wire format of the mock provider.

The numbers are not what a real tokenizer would say; they follow a fixed, documented
formula so that tests can compute the expected usage by hand.

Input
    The *input text* is the concatenation (no separator) of every text content of the
    request, in order:

    - chat ``messages``: each message's ``content`` when it is a string, or the ``"text"``
      of each of its content parts when it is a list;
    - responses ``input``: a plain string, or a list of items, each contributing its
      ``content`` as for chat messages (``instructions`` are not counted);
    - embeddings ``input`` and legacy completions ``prompt``: a string or a list of strings.

    ``prompt_tokens = ceil(len(input_text) / 4) + 4 * messages`` where ``len`` counts
    characters and ``messages`` is the number of chat messages or responses input items
    (a plain-string responses input counts as 1 message; embeddings and completions have no
    per-message overhead). Token-id arrays (lists of ints) add one token per id.

Prompt cache (OpenAI-like)
    The server remembers every input text it has seen (per server process, keyed by the
    exact input text). When the same text arrives again and ``prompt_tokens >= 1024``,
    ``cached_tokens = min((prompt_tokens // 128) * 128, prompt_tokens)``; otherwise (first
    sight, or shorter prompts) ``cached_tokens = 0``. Cache writes are never reported (0).

Output
    The reply has ``max_tokens`` / ``max_completion_tokens`` / ``max_output_tokens`` words
    when the request gives one, else 12 words (legacy completions: 8). Words cycle through
    :data:`WORDS`. One word is one token, so visible output tokens = number of words.

Reasoning
    Models whose name starts with ``o1``, ``o3``, ``o4``, ``gpt-5`` or
    ``deepseek-reasoner``, or contains ``reasoning``, also "think" (a vendor prefix as in
    OpenRouter's ``openai/gpt-5`` is ignored):
    ``reasoning_tokens = 2 * visible_tokens`` (0 for other models).

    - flavors ``openai``, ``deepseek``, ``openrouter``:
      ``completion_tokens = visible + reasoning``, ``total = prompt + completion``;
    - flavor ``x_ai``: ``completion_tokens = visible`` (reasoning excluded),
      ``total = prompt + completion + reasoning``.

Cost (flavor ``openrouter`` only)
    ``cost = prompt_tokens * 1e-6 + completion_tokens * 2e-6`` USD.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Default number of output words for chat and responses replies.
DEFAULT_OUTPUT_WORDS = 12
#: Default number of output words for legacy completions.
DEFAULT_COMPLETION_WORDS = 8
#: Per-message overhead in prompt tokens.
TOKENS_PER_MESSAGE = 4
#: Prompts shorter than this are never served from the prompt cache (OpenAI's threshold).
CACHE_MIN_TOKENS = 1024
#: The cache hits in blocks of this many tokens (OpenAI's granularity).
CACHE_BLOCK_TOKENS = 128

#: Fixed vocabulary of the generated replies; the i-th output word is WORDS[i % len(WORDS)].
WORDS: tuple[str, ...] = tuple("mock reply with a fixed number of plain words for token tests".split())

_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "deepseek-reasoner")

FLAVORS = ("openai", "x_ai", "openrouter", "deepseek", "mistral", "anthropic", "gemini", "vertex", "bedrock")


def content_text(content: Any) -> str:
    """Text of one message ``content``: a string, or the ``"text"`` of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_part_text(part) for part in content)
    return ""


def _part_text(part: Any) -> str:
    if isinstance(part, dict):
        text = part.get("text")
        return text if isinstance(text, str) else ""  # images, audio, files: no text
    return part if isinstance(part, str) else ""


def count_prompt(text: str, messages: int = 0, token_ids: int = 0) -> int:
    """``ceil(len(text)/4) + 4*messages + token_ids`` (see module docstring)."""
    return math.ceil(len(text) / 4) + TOKENS_PER_MESSAGE * messages + token_ids


@dataclass(frozen=True)
class PromptInput:
    """What the token formula needs from a request's input."""

    text: str
    messages: int = 0
    token_ids: int = 0

    @property
    def prompt_tokens(self) -> int:
        return count_prompt(self.text, self.messages, self.token_ids)


def messages_input(messages: Any) -> PromptInput:
    """Chat ``messages`` (or a responses ``input`` item list)."""
    if not isinstance(messages, list):
        return PromptInput("")
    text = "".join(content_text(m.get("content")) if isinstance(m, dict) else content_text(m) for m in messages)
    return PromptInput(text, messages=len(messages))


def responses_input(value: Any) -> PromptInput:
    """Responses ``input``: a plain string counts as one message."""
    if isinstance(value, str):
        return PromptInput(value, messages=1)
    return messages_input(value)


def plain_input(value: Any) -> PromptInput:
    """Embeddings ``input`` / completions ``prompt``: str, list of str, or token ids."""
    if isinstance(value, str):
        return PromptInput(value)
    if not isinstance(value, list):
        return PromptInput("")
    texts: list[str] = []
    ids = 0
    for item in value:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, int):
            ids += 1
        elif isinstance(item, list):
            ids += sum(1 for i in item if isinstance(i, int))
    return PromptInput("".join(texts), token_ids=ids)


class PromptCache:
    """Remembers input texts; a repeated long prompt is reported as (partly) cached.

    Shared by all handler threads, hence the lock.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def lookup(self, text: str, prompt_tokens: int) -> int:
        """Record ``text`` and return the cached tokens for this request."""
        with self._lock:
            seen = text in self._seen
            self._seen.add(text)
        if not seen or prompt_tokens < CACHE_MIN_TOKENS:
            return 0
        return min((prompt_tokens // CACHE_BLOCK_TOKENS) * CACHE_BLOCK_TOKENS, prompt_tokens)

    def remember(self, text: str) -> bool:
        """Record ``text``; True when it was seen before (explicit caches, e.g. Anthropic's)."""
        with self._lock:
            seen = text in self._seen
            self._seen.add(text)
        return seen

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def output_word_count(body: dict[str, Any], default: int = DEFAULT_OUTPUT_WORDS) -> int:
    """Number of output words: the request's max-token limit, else ``default``."""
    for key in ("max_completion_tokens", "max_output_tokens", "max_tokens"):
        value = body.get(key)
        # bool is an int subclass; a JSON true is not a token count.
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return default


def output_words(count: int) -> list[str]:
    return [WORDS[i % len(WORDS)] for i in range(count)]


def is_reasoning_model(model: str) -> bool:
    name = model.lower().rsplit("/", 1)[-1]
    return name.startswith(_REASONING_PREFIXES) or "reasoning" in name


@dataclass(frozen=True)
class TokenCounts:
    """Flavor-independent counts of one request; the flavor only changes the sums."""

    prompt_tokens: int
    cached_tokens: int
    visible_tokens: int
    reasoning_tokens: int

    def completion_tokens(self, flavor: str) -> int:
        # xAI reports reasoning beside, not inside, completion_tokens.
        if flavor == "x_ai":
            return self.visible_tokens
        return self.visible_tokens + self.reasoning_tokens

    @property
    def total_tokens(self) -> int:
        # Same sum in every flavor; only the split into completion/reasoning differs.
        return self.prompt_tokens + self.visible_tokens + self.reasoning_tokens

    def cost(self, flavor: str) -> float:
        """OpenRouter-style USD cost (see module docstring)."""
        # Rounded so the float carries no binary noise like 3.0000000000000004e-05.
        return round(self.prompt_tokens * 1e-6 + self.completion_tokens(flavor) * 2e-6, 12)


def compute_counts(
    prompt: PromptInput,
    model: str,
    visible_tokens: int,
    cache: PromptCache | None,
) -> TokenCounts:
    """Counts for one request; ``cache=None`` skips caching (e.g. embeddings)."""
    prompt_tokens = prompt.prompt_tokens
    cached = cache.lookup(prompt.text, prompt_tokens) if cache is not None else 0
    reasoning = 2 * visible_tokens if is_reasoning_model(model) else 0
    return TokenCounts(prompt_tokens, cached, visible_tokens, reasoning)


def chunk_sizes(total: int, chunks: int | None) -> list[int]:
    """Split ``total`` words into ``chunks`` nearly equal groups (default: one per word).

    Earlier groups get the remainder, so sizes are e.g. 12 words / 5 chunks -> 3,3,2,2,2.
    """
    if total <= 0:
        return []
    n = total if chunks is None else max(1, min(chunks, total))
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def text_chunks(words: Sequence[str], chunks: int | None = None) -> list[str]:
    """Stream deltas whose concatenation is ``" ".join(words)``."""
    pieces: list[str] = []
    start = 0
    for size in chunk_sizes(len(words), chunks):
        piece = " ".join(words[start : start + size])
        pieces.append(piece if start == 0 else " " + piece)
        start += size
    return pieces
