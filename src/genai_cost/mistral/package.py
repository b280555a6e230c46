"""The SDK this package instruments, and from which version."""

SDK_MODULE = "mistralai"
# 1.0 is the first release of the `Mistral` client (chat.complete / stream, embeddings.create); tested with 3.7.
INSTRUMENTS = ("mistralai >= 1.0.0",)
