"""Tests that need a real system component (nginx, openssl, redis-server,
Tomcat, Linux's /proc): without it they are skipped with the reason on a
developer's machine, and fail on CI (``CI=true``), which must run them all
(``.ci/run`` installs every component)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

#: Whether this is a CI run (``CI=true``): then no real-component test may skip.
ON_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str, *, module: bool = False) -> NoReturn:
    """Skip the test (or the whole module, *module*) because *reason*; fail
    it instead when ``CI=true``."""
    if ON_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason, allow_module_level=module)
