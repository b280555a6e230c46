"""The SDK this package instruments, and from which version."""

SDK_MODULE = "mistralai"
# 1.0 is the first release of the `Mistral` client (chat.complete / stream, embeddings.create); tested with 3.7.
INSTRUMENTS = ("mistralai >= 1.0.0",)
# The modules holding the methods wrappers.PATCHES wraps, each patched when the app imports it: 2.0 moved
# them under `mistralai.client` (and made `mistralai` a namespace package); an SDK has one pair or the other.
MODULES = ("mistralai.client.chat", "mistralai.client.embeddings", "mistralai.chat", "mistralai.embeddings")
