"""The SDK this package instruments, and from which version."""

# boto3's clients are botocore's: the patch goes where botocore makes every API call.
SDK_MODULE = "botocore"
# 1.34.116 is the first release whose bedrock-runtime model has Converse and ConverseStream.
INSTRUMENTS = ("botocore >= 1.34.116",)
# The module holding the method wrappers.PATCHES wraps: patched when the app imports it (boto3 does).
MODULES = ("botocore.client",)
