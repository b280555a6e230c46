"""The skeleton every SDK package is built on: patching, the call wrapper, stream and raw-response
proxies, content capture. An SDK package declares what to patch and how to read its calls; the code
that runs them lives here, once."""
