"""The SDK this package instruments, and from which version."""

SDK_MODULE = "anthropic"
INSTRUMENTS = ("anthropic >= 2.0.0",)
