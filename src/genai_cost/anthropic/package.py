"""The SDK this package instruments, and from which version."""

SDK_MODULE = "anthropic"
INSTRUMENTS = ("anthropic >= 2.0.0",)
# The module holding the methods wrappers.PATCHES wraps: patched when the app imports it.
MODULES = ("anthropic._base_client",)
