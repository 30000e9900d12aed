"""The real Autobahn|Testsuite (``wstest -m fuzzingclient``, all 517 cases)
against catalina_py's echo example and Tomcat 10.1's own echo example.

``suite`` installs the suite (Python 2 software) into a cached virtualenv,
starts the servers, runs the fuzzing client once per server, parses its
``index.json`` reports and prints the figures by section and the per-case
time comparison. ``python -m tests.autobahn --help`` is the command line;
``tests/interop/test_autobahn.py`` is the pytest gate. See the section
"Autobahn|Testsuite" in docs/websocket.md.
"""
