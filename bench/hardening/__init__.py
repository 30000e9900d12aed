"""Hardening measurements: scripts that attack a running catalina_py on loopback and check a bound."""
