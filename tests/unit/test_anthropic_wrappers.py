"""anthropic/wrappers.py: which provider a client reaches, by its class (Bedrock, Vertex) and URL."""

from __future__ import annotations

import anthropic

from genai_cost.anthropic.wrappers import endpoint_of


def test_provider_by_client_class() -> None:
    plain = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:9/")
    vertex = anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t")
    bedrock = anthropic.AnthropicBedrock(api_key="k", aws_region="us-east-1")
    assert endpoint_of(plain).provider.name == "anthropic"
    assert endpoint_of(vertex).provider.name == "gcp.vertex_ai"
    assert endpoint_of(vertex).address == "us-east5-aiplatform.googleapis.com"
    assert endpoint_of(bedrock).provider.name == "aws.bedrock"
    assert endpoint_of(bedrock).address == "bedrock-runtime.us-east-1.amazonaws.com"
