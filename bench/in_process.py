"""What pipeline_cost.py and ws_cost.py share: catalina_py from any checkout
started in this process (no listening socket is used: the scripts hand the
endpoint fake sockets), and the timing of one measured call.

The checkout is imported from *home* (``sys.path``), so the same script
measures the layout before and after a change (``--home``).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def make_base(home: str) -> str:
    """A temporary CATALINA_BASE: *home*'s server.xml on a free loopback
    port without a shutdown port, its tomcat-users.xml, and the examples
    webapp."""
    base = tempfile.mkdtemp(prefix="catalina-cost-")
    os.makedirs(os.path.join(base, "conf"))
    os.makedirs(os.path.join(base, "logs"))
    with open(os.path.join(home, "conf", "server.xml")) as fh:
        xml = fh.read().replace('port="8005"', 'port="-1"')
    # The Connector on a free port on loopback, whether or not the checkout's file names an address.
    if re.search(r'<Connector port="8080"[^>]*\baddress=', xml):
        xml = xml.replace('port="8080"', 'port="0"')
    else:
        xml = xml.replace('port="8080"', 'port="0" address="127.0.0.1"')
    with open(os.path.join(base, "conf", "server.xml"), "w") as fh:
        fh.write(xml)
    # The users file the shipped server.xml's UserDatabase names (a checkout
    # from before it has none): without it the realm logs that it refuses
    # every login, which says nothing about what is measured.
    users = os.path.join(home, "conf", "tomcat-users.xml")
    if os.path.exists(users):
        shutil.copy(users, os.path.join(base, "conf", "tomcat-users.xml"))
    shutil.copytree(os.path.join(home, "webapps", "examples"), os.path.join(base, "webapps", "examples"))
    return base


@contextmanager
def catalina_in_process(home: str) -> Iterator[tuple[Any, type]]:
    """The started server's first endpoint and the ``Http11Processor``
    class, of catalina_py imported from *home*; stopped and its base
    removed afterwards."""
    from gevent import monkey

    monkey.patch_all()
    sys.path.insert(0, home)
    base = make_base(home)
    os.environ["CATALINA_BASE"] = base
    os.environ["CATALINA_HOME"] = home
    from catalina_py.bootstrap import Catalina, Layout
    from catalina_py.connector.processor import Http11Processor

    catalina = Catalina(Layout.from_environment())
    catalina.start()
    try:
        yield catalina.server.services[0].connectors[0].endpoint, Http11Processor
    finally:
        catalina.stop()
        shutil.rmtree(base, ignore_errors=True)


def timed(run: Callable[[], Any], profile: bool) -> tuple[Any, float, float]:
    """``run()``'s result, wall seconds and process CPU seconds (printing
    the top functions by own time with *profile*)."""
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profiler:
        profiler.enable()
    result = run()
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return result, elapsed, cpu


def checkout() -> str:
    """Where the imported catalina_py comes from."""
    import catalina_py

    return os.path.dirname(os.path.dirname(os.path.abspath(catalina_py.__file__)))
