"""Temporary: replaced by the providers/endpoints split."""

from genai_cost.providers import Endpoint, detect, endpoint_for, reset_cache, wants_stream_usage

__all__ = ["Endpoint", "detect", "endpoint_for", "reset_cache", "wants_stream_usage"]
