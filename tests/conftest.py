"""Fixtures shared by the test levels."""

from __future__ import annotations

import pytest

from tests.server import CatalinaProcess

LARGE_FILE = bytes(range(256)) * 4096


@pytest.fixture(scope="session")
def catalina(tmp_path_factory: pytest.TempPathFactory):
    """One server with ROOT, examples and the test webapp, shared by the
    tests that do not change its configuration."""
    server = CatalinaProcess(tmp_path_factory.mktemp("catalina_base"))
    # A 1 MiB file with a known pattern, for streaming and range tests.
    (server.base / "webapps" / "testapp" / "static" / "large.bin").write_bytes(LARGE_FILE)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_server(tmp_path):
    """Start servers with a configuration of the test's own; stopped after it."""
    servers: list[CatalinaProcess] = []

    def factory(**kwargs) -> CatalinaProcess:
        index = len(servers)
        server = CatalinaProcess(tmp_path / f"base{index}", **kwargs)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()
