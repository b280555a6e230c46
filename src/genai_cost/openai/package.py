"""The SDK this package instruments, and from which version."""

SDK_MODULE = "openai"
INSTRUMENTS = ("openai >= 1.40.0",)
