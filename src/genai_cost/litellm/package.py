"""The library this package instruments, and from which version."""

SDK_MODULE = "litellm"
# Tested with 1.110; `get_llm_provider` and `CustomStreamWrapper` have their current shape since 1.50.
INSTRUMENTS = ("litellm >= 1.50.0",)
# The module holding the functions wrappers.PATCHES wraps: patched when the app imports it.
MODULES = ("litellm",)
