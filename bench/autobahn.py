"""The Autobahn|Testsuite's per-case times, catalina_py's echo example
against Tomcat 10.1's own (``EchoAnnotation``), in one run: each server on
CPU 0, the suite's fuzzing client on CPU 1, one server up at a time.

Prints the tables by section (OK / NON-STRICT / INFORMATIONAL /
UNIMPLEMENTED / FAILED and summed durations) and the cases where
catalina_py took longer than Tomcat, largest ratio first. The suite, its
Python 2 client and the servers are what ``tests/autobahn`` sets up (see
docs/websocket.md, "Autobahn|Testsuite"); this is its command line with
the CPUs pinned apart::

    .venv/bin/python bench/autobahn.py                     # all 517 cases, both servers (about 40 min)
    .venv/bin/python bench/autobahn.py --cases '1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*'
    .venv/bin/python bench/autobahn.py --cases '12.5.15' --report-dir /tmp/ab

Pass/fail of the suite itself is a test (``tests/interop/test_autobahn.py``);
the times are figures, read as ratios (the suite's client dominates most
cases' durations, and a shared machine moves them by tens of percent).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.autobahn.__main__ import main  # noqa: E402  (the repository root first)

if __name__ == "__main__":
    sys.exit(main(["--pin", *sys.argv[1:]]))
