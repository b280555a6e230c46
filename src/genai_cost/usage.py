"""The normalised usage record every SDK package produces.

Semantics follow the OpenTelemetry GenAI conventions, so the record can go on a span as is:
`input_tokens` is ALL input (cache reads and writes included), `output_tokens` is ALL output
(reasoning included); the other counts are subsets. Provider quirks (Anthropic's input that
excludes cache, xAI's and Gemini's output that excludes reasoning) are resolved by the provider's
extractor before a record is built, never later.
"""

from __future__ import annotations

from dataclasses import dataclass

# What `count` returns for a value that is present but is no token count (a word, NaN, a bool). So
# negative that no sum with real counts turns it positive: `Usage.is_consistent` rejects it.
MALFORMED = -(2**62)
# No single call comes near this many tokens; a larger count is a malformed report (and would not
# fit the int64 of an exported span attribute).
MAX_TOKENS = 10**12


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0  # all cache writes; the 1h part below, the rest is 5-minute
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0  # uncached audio input (cached audio is in cache_audio_read_tokens)
    output_audio_tokens: int = 0
    web_searches: int = 0
    provider_cost: float | None = None  # USD, when the response itself carries the cost
    cache_audio_read_tokens: int = 0  # the audio part of cache_read_tokens (Gemini prices it apart)

    @property
    def cache_write_5m_tokens(self) -> int:
        return self.cache_write_tokens - self.cache_write_1h_tokens

    def plus(self, other: Usage) -> Usage:
        """The usage of two sampling steps billed for one call (e.g. Anthropic compaction iterations)."""
        both_unknown = self.provider_cost is None and other.provider_cost is None
        cost = None if both_unknown else (self.provider_cost or 0.0) + (other.provider_cost or 0.0)
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.input_audio_tokens + other.input_audio_tokens,
            self.output_audio_tokens + other.output_audio_tokens,
            self.web_searches + other.web_searches,
            cost,
            self.cache_audio_read_tokens + other.cache_audio_read_tokens,
        )

    def is_consistent(self) -> bool:
        """Subsets within their totals, nothing negative or absurd: what a price calculation can trust.

        Runs on every priced call: chained comparisons, no tuple of every count. Each subset is
        checked non-negative and within its total, each total within MAX_TOKENS, so no count is
        negative or absurd.
        """
        input_tokens, output_tokens = self.input_tokens, self.output_tokens
        cache_read, cache_write = self.cache_read_tokens, self.cache_write_tokens
        return (
            0 <= input_tokens <= MAX_TOKENS
            and 0 <= output_tokens <= MAX_TOKENS
            and 0 <= self.web_searches <= MAX_TOKENS
            and 0 <= cache_read
            and 0 <= cache_write
            and 0 <= self.input_audio_tokens
            and cache_read + cache_write + self.input_audio_tokens <= input_tokens
            and 0 <= self.cache_write_1h_tokens <= cache_write
            and 0 <= self.cache_audio_read_tokens <= cache_read
            and 0 <= self.reasoning_tokens <= output_tokens
            and 0 <= self.output_audio_tokens <= output_tokens
        )
