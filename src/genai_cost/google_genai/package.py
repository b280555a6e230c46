"""The SDK this package instruments, and from which version."""

SDK_MODULE = "google.genai"
# 1.0 is the first release with both the public methods and the per-request `_generate_content*`
# methods wrapped here (tested with 3.4).
INSTRUMENTS = ("google-genai >= 1.0.0",)
# The module holding the methods wrappers.PATCHES wraps: patched when the app imports it.
MODULES = ("google.genai.models",)
