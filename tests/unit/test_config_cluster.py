"""``<Cluster>`` in server.xml (catalina_py/config/cluster_spec.py): the
accepted forms, the defaults, and each error with file:line."""

from __future__ import annotations

import importlib.util

import pytest

from catalina_py.config import cluster_spec
from catalina_py.config.server_xml import load_server_xml
from catalina_py.errors import ConfigError

TEMPLATE = """<?xml version="1.0"?>
<Server port="-1">
  <Service name="Catalina">
    <Engine name="Catalina" defaultHost="localhost">
      {cluster}
      <Host name="localhost" appBase="webapps"/>
    </Engine>
  </Service>
</Server>
"""


def load(tmp_path, cluster: str):
    path = tmp_path / "server.xml"
    path.write_text(TEMPLATE.format(cluster=cluster))
    return load_server_xml(str(path), {})


@pytest.mark.parametrize(
    "class_name", ["RedisCluster", "catalina_py.cluster.RedisCluster", "catalina_py.cluster.redis_cluster.RedisCluster"]
)
def test_short_and_dotted_names(tmp_path, class_name):
    config, warnings = load(tmp_path, f'<Cluster className="{class_name}" url="redis://127.0.0.1:6379/0"/>')
    cluster = config.services[0].engine.cluster
    assert cluster is not None and not [w for w in warnings if "Cluster" in str(w)]
    assert cluster.python_class == "catalina_py.cluster.RedisCluster"
    assert cluster.url == "redis://127.0.0.1:6379/0"
    assert (cluster.channel_prefix, cluster.session_key_prefix) == ("catalina_py:", "catalina_py:session:")
    assert (cluster.broadcast_queue_size, cluster.socket_timeout, cluster.sessions) == (1000, 0.5, True)
    assert cluster.location.line == 5


def test_no_cluster_is_none(tmp_path):
    config, _ = load(tmp_path, "")
    assert config.services[0].engine.cluster is None


def test_attributes(tmp_path):
    config, _ = load(
        tmp_path,
        '<Cluster className="RedisCluster" url="rediss://user:pw@redis.example:6380/2" channelPrefix="shop:" '
        'sessionKeyPrefix="shop:s:" broadcastQueueSize="50" socketTimeout="0.2" maxRetryDelay="3" sessions="false"/>',
    )
    cluster = config.services[0].engine.cluster
    assert cluster.channel_prefix == "shop:" and cluster.session_key_prefix == "shop:s:"
    assert (cluster.broadcast_queue_size, cluster.socket_timeout, cluster.max_retry_delay) == (50, 0.2, 3.0)
    assert cluster.sessions is False


@pytest.mark.parametrize(
    ("cluster", "words"),
    [
        (
            '<Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster"/>',
            ["Tomcat's own TCP cluster", 'className="RedisCluster"'],
        ),
        ('<Cluster className="MemcachedCluster" url="redis://h:1/0"/>', ["unknown <Cluster> className"]),
        ('<Cluster className="RedisCluster"/>', ["missing the required attribute url"]),
        ('<Cluster className="RedisCluster" url="http://127.0.0.1:6379"/>', ["is not a Redis URL"]),
        ('<Cluster className="RedisCluster" url="redis://127.0.0.1:99999/0"/>', ["port"]),
        ('<Cluster className="RedisCluster" url="redis://h:1/0" broadcastQueueSize="0"/>', ["out of range"]),
        ('<Cluster className="RedisCluster" url="redis://h:1/0" socketTimeout="0"/>', ["more than 0"]),
        (
            '<Cluster className="RedisCluster" url="redis://h:1/0"/><Cluster className="RedisCluster" url="redis://h:1/0"/>',
            ["more than one <Cluster>"],
        ),
    ],
)
def test_errors_name_the_line_and_the_fix(tmp_path, cluster, words):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, cluster)
    text = str(info.value)
    assert "server.xml:5" in text
    for word in words:
        assert word in text


def test_missing_client_library_is_an_error(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(cluster_spec.importlib.util, "find_spec", lambda name: None if name == "redis" else real(name))
    with pytest.raises(ConfigError) as info:
        load(tmp_path, '<Cluster className="RedisCluster" url="redis://127.0.0.1:6379/0"/>')
    assert "pip install 'catalina_py[cluster]'" in str(info.value)


def test_reading_imports_no_redis(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "server.xml"
    path.write_text(TEMPLATE.format(cluster='<Cluster className="RedisCluster" url="redis://127.0.0.1:6379/0"/>'))
    code = (
        "import sys\nfrom catalina_py.config.server_xml import load_server_xml\n"
        f"load_server_xml({str(path)!r}, {{}})\nprint('redis' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
