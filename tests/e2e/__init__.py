"""End-to-end tests: real processes, real SDKs, real exporters, local servers only."""
