"""The report as FinOps FOCUS 1.2 rows: one per UTC day, provider, model and the chosen labels.

Every column FOCUS 1.2 marks mandatory is present, with its allowed values: ChargeCategory `Usage`,
ServiceCategory `AI and Machine Learning` (ServiceSubcategory `Generative AI`), BillingCurrency
`USD`, ISO 8601 UTC date/times (`2026-11-01T00:00:00Z`), the billing period being the UTC calendar
month of the charge. ListCost, EffectiveCost, ContractedCost and BilledCost are the cost genai-cost
priced (list prices after the user's overrides; no invoice-level discounts are known here).
PricingQuantity and ConsumedQuantity count tokens (input + output); the token types are `x_`
columns and the attribution labels are Tags (a JSON object). Rows with no cost and no tokens are
left out; calls that could not be priced are counted in x_UnpricedCalls and cost nothing here.
The sum of BilledCost is the report's total.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from genai_cost.report.builder import Report
from genai_cost.report.figures import Figures
from genai_cost.report.periods import iso

MANDATORY = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
    "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
    "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)  # fmt: skip
OPTIONAL = ("ChargeFrequency", "ConsumedQuantity", "ConsumedUnit", "ServiceSubcategory", "Tags")
CUSTOM = (
    "x_GenAIProvider", "x_Model", "x_InputTokens", "x_CacheReadTokens", "x_CacheWriteTokens",
    "x_OutputTokens", "x_ReasoningTokens", "x_CacheSavingsUSD", "x_UnpricedCalls", "x_Calls",
)  # fmt: skip
COLUMNS = (*MANDATORY, *OPTIONAL, *CUSTOM)
PROVIDER = "gen_ai_provider_name"
MODEL = "gen_ai_request_model"
# gen_ai.provider.name -> (provider, service) as an invoice names them.
NAMES = {
    "openai": ("OpenAI", "OpenAI API"),
    "azure.ai.openai": ("Microsoft", "Azure OpenAI"),
    "anthropic": ("Anthropic", "Claude API"),
    "aws.bedrock": ("AWS", "Amazon Bedrock"),
    "gcp.gemini": ("Google", "Gemini API"),
    "gcp.vertex_ai": ("Google Cloud", "Vertex AI"),
    "x_ai": ("xAI", "xAI API"),
    "deepseek": ("DeepSeek", "DeepSeek API"),
    "groq": ("Groq", "GroqCloud"),
    "mistral_ai": ("Mistral AI", "Mistral API"),
    "openrouter": ("OpenRouter", "OpenRouter"),
    "together": ("Together AI", "Together API"),
    "fireworks": ("Fireworks AI", "Fireworks API"),
    "perplexity": ("Perplexity", "Perplexity API"),
    "moonshot_ai": ("Moonshot AI", "Moonshot API"),
}


def focus_by(by: list[str]) -> list[str]:
    """The grouping FOCUS rows need: provider and model first, then the user's labels."""
    return list(dict.fromkeys([PROVIDER, MODEL, *by]))


def _month(epoch: float) -> tuple[str, str]:
    moment = datetime.fromtimestamp(epoch, UTC)
    first = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return iso(first.timestamp()), iso(following.timestamp())


def _row(labels: dict[str, str], day: tuple[float, float], f: Figures, account: str) -> dict[str, Any]:
    provider, model = labels.get(PROVIDER, ""), labels.get(MODEL, "")
    company, service = NAMES.get(provider, (provider or "unknown", f"{provider or 'unknown'} API"))
    tokens = f.tokens["input"] + f.tokens["output"]
    period_start, period_end = _month(day[0])
    tags = {k: v for k, v in labels.items() if k not in (PROVIDER, MODEL) and v}
    return {
        "BilledCost": f.cost_usd, "ListCost": f.cost_usd, "EffectiveCost": f.cost_usd, "ContractedCost": f.cost_usd,
        "BillingAccountId": account, "BillingAccountName": account, "BillingCurrency": "USD",
        "BillingPeriodStart": period_start, "BillingPeriodEnd": period_end,
        "ChargePeriodStart": iso(day[0]), "ChargePeriodEnd": iso(day[1]),
        "ChargeCategory": "Usage", "ChargeClass": None, "ChargeFrequency": "Usage-Based",
        "ChargeDescription": f"{model or 'unknown model'} tokens ({service})",
        "InvoiceIssuerName": company, "ProviderName": company, "PublisherName": company,
        "ServiceCategory": "AI and Machine Learning", "ServiceSubcategory": "Generative AI", "ServiceName": service,
        "PricingQuantity": tokens, "PricingUnit": "Tokens", "ConsumedQuantity": tokens, "ConsumedUnit": "Tokens",
        "Tags": json.dumps(tags, sort_keys=True) if tags else None,
        "x_GenAIProvider": provider, "x_Model": model,
        "x_InputTokens": f.tokens["input"], "x_CacheReadTokens": f.tokens["cache_read"],
        "x_CacheWriteTokens": f.tokens["cache_write"], "x_OutputTokens": f.tokens["output"],
        "x_ReasoningTokens": f.tokens["reasoning"], "x_CacheSavingsUSD": f.cache_savings_usd,
        "x_UnpricedCalls": f.unpriced_calls, "x_Calls": f.calls,
    }  # fmt: skip


def rows(report: Report, account: str = "genai-cost") -> Iterator[dict[str, Any]]:
    for group in report.groups:
        for day, figures in zip(report.days, group.daily, strict=True):
            if figures.cost_usd or any(figures.tokens.values()) or figures.unpriced_calls:
                yield _row(group.labels, day, figures, account)


def csv_text(report: Report, account: str = "genai-cost") -> str:
    """FOCUS rows as CSV: nulls are empty cells, numbers in full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(report, account):
        writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()
