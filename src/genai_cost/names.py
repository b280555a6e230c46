"""Every attribute, metric and label name genai-cost emits: the contract with dashboards and rules.

Dashboards, recording rules and users' queries depend on these strings. Change one only together
with everything that reads it (see docs/design.md, "Names").
"""

from __future__ import annotations

# --- span attributes: OpenTelemetry GenAI semantic conventions -----------------------------------
OPERATION_NAME = "gen_ai.operation.name"
PROVIDER_NAME = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
REQUEST_STREAM = "gen_ai.request.stream"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
CONVERSATION_ID = "gen_ai.conversation.id"  # set by the app as attribution (baggage or attributes())
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
TOKEN_TYPE = "gen_ai.token.type"

USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
# Not (yet) a semconv name, but the de facto one: written by OpenLIT and LiteLLM, read by Langfuse.
USAGE_COST = "gen_ai.usage.cost"

# --- span attributes: ours -----------------------------------------------------------------------
COST_SOURCE = "genai_cost.cost.source"  # bundled | refreshed | override | provider | mixed
# The matched price entry: "openai/gpt-4o-mini" (bundled), "override:prices.yaml#my-model",
# "override:prices.yaml#prod -> azure/gpt-4o" (alias), "... x0.8 (override:prices.yaml#commit)" (discount)
PRICE_ENTRY = "genai_cost.price.entry"
PRICE_TIER = "genai_cost.price.tier"  # service tier the call was priced at, when not standard
CACHE_SAVINGS = "genai_cost.cost.cache_savings"  # USD saved by cache reads vs the uncached price
UNPRICED_REASON = "genai_cost.unpriced.reason"
CACHE_WRITE_5M_TOKENS = "genai_cost.usage.cache_write_5m.input_tokens"
CACHE_WRITE_1H_TOKENS = "genai_cost.usage.cache_write_1h.input_tokens"
USAGE_ESTIMATED = "genai_cost.usage.estimated"

# --- operation names (semconv values) ------------------------------------------------------------
OP_CHAT = "chat"
OP_EMBEDDINGS = "embeddings"
OP_TEXT_COMPLETION = "text_completion"
OP_GENERATE_CONTENT = "generate_content"
OP_COUNT_TOKENS = "count_tokens"  # not billed: a span with the counted input tokens, never priced

# --- metrics ---------------------------------------------------------------------------------
# Prometheus names follow from name + unit: "usd" (lower case) gives `..._usd_total`; units in
# braces are dropped, so `{token}` gives `..._total`.
METRIC_COST = "gen_ai.client.cost"  # -> gen_ai_client_cost_usd_total
METRIC_COST_SAVINGS = "gen_ai.client.cost.savings"  # -> gen_ai_client_cost_savings_usd_total
METRIC_TOKENS = "gen_ai.client.tokens"  # -> gen_ai_client_tokens_total
METRIC_UNPRICED = "gen_ai.client.unpriced"  # -> gen_ai_client_unpriced_total
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"  # semconv histogram
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"  # semconv histogram

# Problems found in the price override file (GENAI_COST_PRICES_FILE): 0 while it is in use, more
# when it was rejected and the bundled prices apply. Only reported when a file is configured.
METRIC_PRICES_FILE_ERRORS = "genai_cost.prices.file.errors"  # -> genai_cost_prices_file_errors (gauge)
PRICES_FILE = "genai_cost.prices.file"  # its label: the path as configured

UNIT_USD = "usd"
UNIT_TOKEN = "{token}"
UNIT_CALL = "{call}"
UNIT_SECONDS = "s"
UNIT_ERROR = "{error}"

# Values of gen_ai.token.type on gen_ai.client.tokens (semconv has input/output; the rest are ours).
TOKEN_INPUT = "input"
TOKEN_OUTPUT = "output"
TOKEN_CACHE_READ = "cache_read"
TOKEN_CACHE_WRITE = "cache_write"
TOKEN_REASONING = "reasoning"

# Request and response model label of the counters once they hold their maximum of label sets.
OVERFLOW_MODEL = "_other"

# Advisory bucket boundaries from the semconv metric definitions.
TOKEN_USAGE_BUCKETS = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)
DURATION_BUCKETS = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)

# --- bounded reasons a call has no price (label values of gen_ai_client_unpriced_total) ------------
UNPRICED_NO_USAGE = "no_usage"  # the provider reported no usage (e.g. a stream without include_usage)
UNPRICED_UNKNOWN_MODEL = "unknown_model"  # no price entry for this provider/model
UNPRICED_LOCAL_MODEL = "local_model"  # a local server (vLLM, Ollama, ...) the user has not priced
UNPRICED_INVALID_USAGE = "invalid_usage"  # usage the price calculation rejects (e.g. cache > input)
UNPRICED_PRICE_ERROR = "price_error"  # the price data failed for this model (logged once per model)

# --- our own scope ---------------------------------------------------------------------------
SCOPE_NAME = "genai_cost"

# --- attribution: who spent it ---------------------------------------------------------------
# Attribution keys (baggage keys, genai_cost.attributes keys) are span attribute names as given and,
# when allow-listed, counter attribute names that Prometheus shows with `.` and `-` as `_`.
OTHER_VALUE = "_other"  # counter label value of attribution values past GENAI_COST_LABEL_LIMIT
METRIC_ATTRIBUTION_OVERFLOW = "genai_cost.attribution.overflow"  # -> genai_cost_attribution_overflow_total
ATTRIBUTION_LABEL = "genai_cost.label"  # which attribution label overflowed (-> genai_cost_label)
# Attribution keys may not shadow these (span attribute prefixes and Prometheus label names).
# Semconv attributes an app may set as attribution although their prefix is reserved.
ATTRIBUTION_SEMCONV_KEYS = frozenset({CONVERSATION_ID})
RESERVED_KEY_PREFIXES = ("gen_ai.", "genai_cost.", "server.", "error.", "service.", "telemetry.", "otel.")
RESERVED_LABEL_PREFIXES = ("gen_ai_", "genai_cost_", "otel_", "__")
RESERVED_LABELS = frozenset({"job", "instance", "le", "quantile", "error_type", "server_address", "server_port"})

# --- content capture (opt-in: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) --------------------
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
CONTENT_TRUNCATED = "genai_cost.content.truncated"  # content was cut at GENAI_COST_CAPTURE_MAX_LENGTH
