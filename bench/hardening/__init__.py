"""Hardening tools for issue 10: fuzzers of the HTTP and WebSocket parsers
(in-process and through a running server). See docs/hardening.md."""
