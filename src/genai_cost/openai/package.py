"""The SDK this package instruments, and from which version."""

SDK_MODULE = "openai"
INSTRUMENTS = ("openai >= 1.40.0",)
# The modules holding the methods wrappers.PATCHES wraps: each is patched when the app imports it.
MODULES = (
    "openai.resources.chat.completions.completions",
    "openai.resources.responses.responses",
    "openai.resources.embeddings",
    "openai.resources.completions",
)
