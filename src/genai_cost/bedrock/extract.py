"""Pure extraction for Bedrock Runtime: a response, a body or stream events in, an Outcome out.

Works on the dicts botocore returns (and on recorded responses). Token rules, per API:

- Converse and ConverseStream (`usage`, in the stream's `metadata` event): `inputTokens` excludes
  the prompt-cache reads and writes, reported beside it as `cacheReadInputTokens` and
  `cacheWriteInputTokens` (`totalTokens` is the sum of all four counts), so input is their sum.
- InvokeModel bodies are the model family's own: Anthropic Messages (`usage.input_tokens`,
  cache counts beside it, read with the anthropic package's rules), Amazon Nova (`usage.inputTokens`,
  `cacheReadInputTokenCount`, `cacheWriteInputTokenCount`), Meta Llama (`prompt_token_count`,
  `generation_token_count`), Amazon Titan (`inputTextTokenCount`, `results[].tokenCount`) and
  OpenAI-format models (`usage.prompt_tokens`). Families whose bodies carry no usage (Mistral,
  DeepSeek, Cohere) are read from the `X-Amzn-Bedrock-*-Token-Count` headers Bedrock adds to
  every InvokeModel response.
- InvokeModelWithResponseStream: the family's own stream events (Anthropic's message_start and
  message_delta, Nova's metadata), else the `amazon-bedrock-invocationMetrics` Bedrock adds to the
  last chunk of every family's stream.

Bedrock bills by the model id the request names: a cross-region inference profile (`us.`, `eu.`,
`apac.`, `global.`) can cost differently from the in-region model, and an Anthropic body's own
`model` drops the profile. So the response model of every Bedrock call is the request's model id,
with an ARN (`arn:aws:bedrock:...:foundation-model/<id>` or `.../inference-profile/<id>`) reduced
to the id it names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from genai_cost.anthropic.extract import MessageStreamAccumulator, message_usage
from genai_cost.fields import as_count, count, field, fields_of, reports_any
from genai_cost.outcome import Outcome
from genai_cost.usage import Usage

INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"
# InvokeModel response headers (botocore lower-cases them).
_HEADER = "x-amzn-bedrock-{}-token-count"
_HEADER_FIELDS = ("input", "output", "cache-read-input", "cache-write-input")


def model_id(model: str | None) -> str | None:
    """The model id a request names: an ARN's resource id (after its last '/'), else as given.

    An application inference profile's ARN names no model: its id stays unpriced, never guessed.
    """
    if isinstance(model, str) and model.startswith("arn:") and "/" in model:
        return model.rsplit("/", 1)[1] or model
    return model


def _usage(uncached: int, output: int, read: int, write: int) -> Usage:
    """Bedrock's split (input without the cache) as semantic-convention usage."""
    return Usage(
        input_tokens=uncached + read + write,
        output_tokens=output,
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def converse_usage(usage: Any) -> Usage | None:
    """Converse's TokenUsage (also Nova's InvokeModel `usage`, whose cache fields end in `Count`)."""
    u = fields_of(usage)
    if not reports_any(u, "inputTokens", "outputTokens"):
        return None
    read = u.get("cacheReadInputTokens", u.get("cacheReadInputTokenCount"))
    write = u.get("cacheWriteInputTokens", u.get("cacheWriteInputTokenCount"))
    return _usage(as_count(u.get("inputTokens")), as_count(u.get("outputTokens")), as_count(read), as_count(write))


def converse_outcome(response: Any, model: str | None) -> Outcome:
    """A Converse response (a dict from botocore)."""
    stop = field(response, "stopReason")
    return Outcome(
        usage=converse_usage(field(response, "usage")),
        response_model=model_id(model),
        finish_reasons=[stop] if isinstance(stop, str) else None,
    )


class ConverseStreamAccumulator:
    """ConverseStream events: `messageStop` says why it stopped, `metadata` carries the usage."""

    def __init__(self, model: str | None) -> None:
        self.model = model
        self.usage: Any = None
        self.stop_reason: str | None = None

    def add(self, event: Any) -> bool:
        if isinstance(event, dict):
            metadata = event.get("metadata")
            if metadata is not None:
                self.usage = field(metadata, "usage")
            else:
                stop = event.get("messageStop")
                if stop is not None:
                    self.stop_reason = field(stop, "stopReason")
        return False

    def outcome(self) -> Outcome:
        return Outcome(
            usage=converse_usage(self.usage),
            response_model=model_id(self.model),
            finish_reasons=[self.stop_reason] if self.stop_reason else None,
        )


# --- InvokeModel ------------------------------------------------------------------------------


def body_usage(body: Any) -> Usage | None:
    """Usage of an InvokeModel response body, by the shape its family reports; None: it has none."""
    b = fields_of(body)
    usage = b.get("usage")
    if usage is not None:
        u = fields_of(usage)
        if reports_any(u, "input_tokens", "output_tokens", "cache_read_input_tokens"):  # Anthropic Messages
            return message_usage(usage)
        if reports_any(u, "inputTokens", "outputTokens"):  # Amazon Nova
            return converse_usage(usage)
        if reports_any(u, "prompt_tokens", "completion_tokens"):  # OpenAI-format models (gpt-oss)
            return Usage(input_tokens=count(usage, "prompt_tokens"), output_tokens=count(usage, "completion_tokens"))
    if reports_any(b, "prompt_token_count", "generation_token_count"):  # Meta Llama
        return Usage(input_tokens=count(b, "prompt_token_count"), output_tokens=count(b, "generation_token_count"))
    if reports_any(b, "inputTextTokenCount"):  # Amazon Titan text and embeddings
        output = sum(count(result, "tokenCount") for result in b.get("results") or ())
        return Usage(input_tokens=count(b, "inputTextTokenCount"), output_tokens=output)
    return None


def header_usage(headers: Mapping[str, Any] | None) -> Usage | None:
    """The token counts Bedrock puts on every InvokeModel response's headers."""
    if not isinstance(headers, Mapping):
        return None
    values = [headers.get(_HEADER.format(name)) for name in _HEADER_FIELDS]
    if values[0] is None and values[1] is None:
        return None
    return _usage(*(as_count(value) for value in values))


def metrics_usage(metrics: Any) -> Usage | None:
    """`amazon-bedrock-invocationMetrics`, on the last chunk of every InvokeModel stream."""
    m = fields_of(metrics)
    if not reports_any(m, "inputTokenCount", "outputTokenCount"):
        return None
    read, write = as_count(m.get("cacheReadInputTokenCount")), as_count(m.get("cacheWriteInputTokenCount"))
    return _usage(as_count(m.get("inputTokenCount")), as_count(m.get("outputTokenCount")), read, write)


def _stop_reasons(body: Any) -> list[str] | None:
    b = fields_of(body)
    # In streams, Nova says it in a chunk of its own ({"messageStop": {"stopReason": ...}}) and Titan
    # at the top of its last chunk (its whole body puts it under results[]).
    reasons = [b.get("stop_reason"), b.get("stopReason"), field(b.get("messageStop"), "stopReason"),
               b.get("completionReason")]  # fmt: skip
    reasons += [field(item, "stop_reason") or field(item, "completionReason") for item in _outputs(b)]
    found = [reason for reason in reasons if isinstance(reason, str) and reason]
    return found or None


def _outputs(body: Mapping[str, Any]) -> list[Any]:
    items = body.get("outputs") or body.get("results") or body.get("choices")
    return list(items) if isinstance(items, list) else []


def invoke_outcome(body: Any, headers: Mapping[str, Any] | None, model: str | None) -> Outcome:
    """An InvokeModel response: its body's usage, else its headers'. `body` None: the app did not read it."""
    usage = body_usage(body) if body is not None else None
    return Outcome(
        usage=usage or header_usage(headers),
        response_model=model_id(model),
        response_id=field(body, "id") if body is not None else None,
        finish_reasons=_stop_reasons(body) if body is not None else None,
    )


def chunk_payload(event: Any) -> Any:
    """The JSON payload of one InvokeModelWithResponseStream event (`{"chunk": {"bytes": b"..."}}`)."""
    data = field(field(event, "chunk"), "bytes")
    if not isinstance(data, bytes | bytearray | str):
        return None
    return json.loads(data)


class InvokeStreamAccumulator:
    """InvokeModelWithResponseStream chunks of any family (see the module docstring for the order)."""

    def __init__(self, model: str | None) -> None:
        self.model = model
        self.anthropic: MessageStreamAccumulator | None = None
        self.family_usage: Usage | None = None  # Nova's metadata, or Llama/Titan's counts
        self.metrics: Usage | None = None
        self.stop_reasons: list[str] = []
        self.llama = {"prompt_token_count": 0, "generation_token_count": 0}

    def add(self, event: Any) -> bool:
        payload = chunk_payload(event)
        if not isinstance(payload, dict):
            return False
        if "type" in payload:  # Anthropic Messages stream events
            if self.anthropic is None:
                self.anthropic = MessageStreamAccumulator()
            self.anthropic.add(payload)
        elif "metadata" in payload:  # Amazon Nova
            self.family_usage = converse_usage(field(payload["metadata"], "usage")) or self.family_usage
        elif reports_any(payload, "prompt_token_count", "generation_token_count"):  # Meta Llama: running totals
            for name in self.llama:
                self.llama[name] = max(self.llama[name], count(payload, name))
            self.family_usage = body_usage(self.llama)
        self.stop_reasons += _stop_reasons(payload) or ()
        metrics = payload.get(INVOCATION_METRICS)
        if metrics is not None:
            self.metrics = metrics_usage(metrics)
        return False

    def outcome(self) -> Outcome:
        if self.anthropic is not None:
            outcome = self.anthropic.outcome()
            usage = outcome.usage or self.metrics
        else:
            outcome = Outcome(usage=None, finish_reasons=self.stop_reasons[-1:] or None)
            usage = self.family_usage or self.metrics
        outcome.usage = usage
        outcome.response_model = model_id(self.model)
        return outcome
