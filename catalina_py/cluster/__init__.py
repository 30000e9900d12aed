"""The Redis cluster of ``<Cluster className="RedisCluster" url="...">``.

Imported only when ``server.xml`` has a ``<Cluster>`` (it imports the
``redis`` client library, an optional extra: ``pip install
'catalina_py[cluster]'``). See docs/deployment.md, "A cluster on Redis".
"""

from .redis_cluster import ClusterStats, RedisCluster

__all__ = ["ClusterStats", "RedisCluster"]
