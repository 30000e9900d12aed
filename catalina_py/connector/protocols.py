"""What the connector needs from the layers above it, as protocols (the
role of Coyote's ``Adapter`` interface): the container implements them and
``bootstrap`` passes the implementation in, so ``connector/`` never imports
the container or the servlet API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..config.connector_spec import ConnectorSpec
    from ..http.errors import HttpParseError
    from ..http.parser import RequestHead

#: The processor as the adapter gets it: it implements the container's
#: ``Channel`` protocol (container/channel.py), which lives above this layer
#: and so cannot be named here.
ChannelArg = Any


class Adapter(Protocol):
    """Where the connector hands a parsed request (Tomcat's ``Adapter``;
    the container's ``CoyoteAdapter`` implements it)."""

    def service(self, channel: ChannelArg, head: RequestHead) -> None:
        """Run one request through the container and complete its response
        on *channel* (``container/channel.py``'s ``Channel``)."""
        ...

    def log_bad_request(self, channel: ChannelArg, error: HttpParseError) -> None:
        """Log a request head that could not be parsed."""
        ...

    def error_body(self, status: int, reason: str) -> bytes:
        """The page sent with the error status of an unparsable request."""
        ...


class UpgradeHandler(Protocol):
    """The side of a servlet's ``HttpUpgradeHandler`` the connector calls."""

    def init(self, connection: object) -> None:
        """The 101 is on the wire: *connection* (a ``WebConnection``) is the handler's."""
        ...

    def destroy(self) -> None:
        """The connection was closed."""
        ...

    def server_stopping(self, connection: object) -> None:
        """The server is stopping gracefully: end the connection soon."""
        ...


class UpgradeRequest(Protocol):
    """What ``request.upgrade()`` leaves on the connection (the servlet
    API's ``UpgradeToken``)."""

    @property
    def handler(self) -> UpgradeHandler:
        """The handler the connection goes to once the 101 is sent."""
        ...


class Slots(Protocol):
    """The ``maxThreads`` bound: requests inside the pipeline at once."""

    def acquire(self) -> object: ...

    def release(self) -> object: ...


class Owner(Protocol):
    """What a processor reads of its ``Endpoint``: the connector's settings
    (read once), the adapter, the timeouts in seconds and the shared state."""

    config: ConnectorSpec
    adapter: Adapter
    #: connectionTimeout / keepAliveTimeout in seconds (None: no timeout).
    connection_timeout: float | None
    keep_alive_timeout: float | None
    #: requestHeaderTimeout in seconds (None: no deadline for the head).
    request_header_timeout: float | None
    stopping: bool
    request_slots: Slots

    def request_body_allowance(self, received: int) -> float | None:
        """Seconds a request body that brought *received* bytes may have
        kept the connection waiting in all (None: no limit)."""
        ...

    def take_upgrade_slot(self) -> bool:
        """Reserve an upgraded connection slot (False: none is left)."""
        ...

    def report_bad_request(self) -> bool:
        """Whether a bad request is logged at INFO now (else at DEBUG)."""
        ...

    def release_upgrade_slot(self) -> None:
        """Give back a slot taken by ``take_upgrade_slot``."""
        ...

    def leave_pool(self, greenlet: Any) -> None:
        """The connection was upgraded: free its ``maxConnections`` slot."""
        ...

    def resume(self, processor: Any, step: Callable[[], None]) -> Any:
        """Run a parked upgraded connection's resume *step* in a new
        greenlet of the upgraded connections (returned)."""
        ...

    @property
    def name(self) -> str:
        """The connector's name in events (``http-gevent-8080``)."""

    #: The upgraded connections, told when the server stops gracefully.
    upgraded: set[Any]  # of upgrade.UpgradedConnection (which imports this module)
