"""``<Cluster>`` inside ``<Engine>``: the Redis cluster (optional).

Tomcat's ``<Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster">``
replicates sessions over its own TCP group protocol; catalina_py's cluster is
Redis (``catalina_py/cluster/``)::

    <Cluster className="RedisCluster" url="redis://127.0.0.1:6379/0"/>

Reading it imports nothing: whether the ``redis`` package is installed is
checked with :func:`importlib.util.find_spec`, so a missing client is an
error at ``file:line`` before anything listens, and a server.xml without
``<Cluster>`` never touches the cluster code.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigError, Location
from .xml import Attributes, Element, XmlReader

__all__ = ["CLUSTER_CLASS", "ClusterSpec", "read_cluster"]

#: The one cluster implementation, as a dotted path.
CLUSTER_CLASS = "catalina_py.cluster.RedisCluster"
#: Names accepted in className for it.
_NAMES = frozenset({"RedisCluster", CLUSTER_CLASS, "catalina_py.cluster.redis_cluster.RedisCluster"})
_TOMCAT_CLUSTERS = ("org.apache.catalina.ha.", "org.apache.catalina.tribes.")
_ATTRS = frozenset(
    {
        "className",
        "url",
        "channelPrefix",
        "sessionKeyPrefix",
        "broadcastQueueSize",
        "socketTimeout",
        "maxRetryDelay",
        "sessions",
    }
)
_HINT = '<Cluster className="RedisCluster" url="redis://127.0.0.1:6379/0"/> inside <Engine>'


@dataclass(frozen=True)
class ClusterSpec:
    """A ``<Cluster>``: where Redis is and how the cluster uses it."""

    #: The Python class (always :data:`CLUSTER_CLASS` today).
    python_class: str
    #: ``redis://[user:password@]host:port/db`` (or ``rediss://``, ``unix://``).
    url: str
    #: Prefix of the Pub/Sub channel names (``channelPrefix``).
    channel_prefix: str
    #: Prefix of the session keys (``sessionKeyPrefix``).
    session_key_prefix: str
    #: Messages a WebSocket session may have waiting before a broadcast
    #: drops the next ones for it (``broadcastQueueSize``).
    broadcast_queue_size: int
    #: Seconds a Redis command may take before it counts as failed.
    socket_timeout: float
    #: Longest wait between two reconnection attempts, seconds.
    max_retry_delay: float
    #: Whether HTTP sessions are kept in Redis (``sessions``, default true).
    sessions: bool
    location: Location


def read_cluster(reader: XmlReader, element: Element) -> ClusterSpec:
    """Read and check ``<Cluster>``."""
    attrs = reader.attributes(element, "Cluster")
    attrs.check_names(_ATTRS)
    reader.no_children(element, "Cluster")
    class_name = attrs.required("className", _HINT).strip()
    if class_name.startswith(_TOMCAT_CLUSTERS):
        raise attrs.error(
            "className",
            f"<Cluster> {class_name} is Tomcat's own TCP cluster, which catalina_py does not have; "
            "catalina_py's cluster is Redis",
            _HINT,
        )
    if class_name not in _NAMES:
        raise attrs.error("className", f"unknown <Cluster> className '{class_name}'", _HINT)
    url = attrs.required("url", 'url="redis://127.0.0.1:6379/0"').strip()
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.hostname):
        raise attrs.error(
            "url",
            f"attribute url of <Cluster> is not a Redis URL: '{url}'",
            'url="redis://HOST:PORT/DB", e.g. url="redis://127.0.0.1:6379/0" (rediss:// for TLS)',
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise attrs.error("url", f"the port in url '{url}' of <Cluster> is not valid", "a port 1..65535") from None
    if importlib.util.find_spec("redis") is None:
        raise attrs.error(
            "className",
            "<Cluster> needs the Redis client library (the Python package 'redis'), which is not installed",
            "pip install 'catalina_py[cluster]' (or pip install redis==5.2.1) in catalina_py's environment",
        )
    prefix = attrs.get("channelPrefix", "catalina_py:") or ""
    key_prefix = attrs.get("sessionKeyPrefix", "catalina_py:session:") or ""
    if not prefix or not key_prefix:
        raise ConfigError.at(
            attrs.location,
            "channelPrefix and sessionKeyPrefix of <Cluster> may not be empty",
            'channelPrefix="catalina_py:" sessionKeyPrefix="catalina_py:session:"',
        )
    return ClusterSpec(
        python_class=CLUSTER_CLASS,
        url=url,
        channel_prefix=prefix,
        session_key_prefix=key_prefix,
        broadcast_queue_size=attrs.integer(
            "broadcastQueueSize", 1000, minimum=1, hint="a number of messages, 1 or more (default 1000)"
        ),
        socket_timeout=_positive(attrs.seconds("socketTimeout", 0.5), attrs, "socketTimeout"),
        max_retry_delay=_positive(attrs.seconds("maxRetryDelay", 10.0), attrs, "maxRetryDelay"),
        sessions=attrs.boolean("sessions", True),
        location=attrs.location,
    )


def _positive(value: float, attrs: Attributes, name: str) -> float:
    if value <= 0:
        raise attrs.error(name, f"attribute {name} of <Cluster> must be more than 0", f'{name}="0.5"')
    return value
