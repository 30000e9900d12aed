"""The differential test: catalina_py against a real Apache Tomcat 10.1.

One webapp (tests/differential/webapp, its servlets in Java for Tomcat and
in Python for catalina_py, the same web.xml) deployed on both servers,
each with its stock configuration (Tomcat's /etc/tomcat10, our conf/);
the connector attributes of Debian's server.xml on ours too. Several
hundred raw exchanges (tests/differential/exchanges.py) are replayed on
both and the answers compared (tests/differential/compare.py). Every
difference must be listed, with its reason, in
tests/differential/known_differences.txt; a new one fails the test.

``DIFFTEST_REPORT=path`` writes every difference seen (listed or not) to
that file, ``DIFFTEST_DUMP=path`` what each server answered (statuses and
connection handling) to every exchange. Skipped when tomcat10 or javac is missing, unless ``CI=true``
(then it fails): ``.ci/run`` installs them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.differential import compare as cmp
from tests.differential.deploy import add_links, java_webapp, python_webapp
from tests.differential.exchanges import all_exchanges
from tests.server import CatalinaProcess
from tests.tomcat import TomcatProcess, missing_tomcat

_ON_CI = os.environ.get("CI", "").lower() == "true"
_MISSING = missing_tomcat()

if _MISSING is not None and not _ON_CI:
    pytest.skip(f"differential test against Tomcat 10.1 not run: {_MISSING}", allow_module_level=True)

#: Debian's stock Connector attributes, given to ours as well.
CONNECTOR_ATTRS = 'connectionTimeout="20000" redirectPort="8443" maxParameterCount="1000"'


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CatalinaProcess, TomcatProcess]]:
    """(catalina_py, Tomcat), both serving the differential webapp at /diff."""
    if _MISSING is not None:
        pytest.fail(f"CI=true but the differential test cannot run: {_MISSING}")
    base = tmp_path_factory.mktemp("difftest")
    tomcat = TomcatProcess(base / "tomcat", {"diff": java_webapp(base / "java")})
    ours = CatalinaProcess(base / "ours", webapps={"diff": python_webapp(base / "py")}, connector_attrs=CONNECTOR_ATTRS)
    add_links(tomcat.base / "webapps" / "diff")
    add_links(ours.base / "webapps" / "diff")
    failure: list[BaseException] = []

    def start_tomcat() -> None:
        try:
            tomcat.start()
        except BaseException as exc:  # reported below, in the test's thread
            failure.append(exc)

    starter = threading.Thread(target=start_tomcat)
    starter.start()
    try:
        ours.start()
        starter.join(120)
        if failure:
            raise failure[0]
        yield ours, tomcat
    finally:
        starter.join(120)
        ours.stop()
        tomcat.stop()


EXCHANGES = all_exchanges()
#: Replays of an exchange whose answers differ in a way not listed.
RETRIES = 2
#: The areas of the exchanges (the part of the id before "/"), one test each.
AREAS = sorted({ex.id.split("/", 1)[0] for ex in EXCHANGES})


@pytest.fixture(scope="module")
def differences(servers: tuple[CatalinaProcess, TomcatProcess]) -> list[cmp.Difference]:
    """Every exchange replayed on both servers; the differences seen."""
    ours, tomcat = servers
    known = cmp.load_known()
    results = cmp.replay(EXCHANGES, ours.port, tomcat.port)
    per_exchange = {ex.id: cmp.compare(ex.id, *results[ex.id], ours.port, tomcat.port) for ex in EXCHANGES}
    # An exchange with an unlisted difference is replayed (twice at most):
    # a server's answer can depend on timing (a close racing the last
    # bytes). The attempt with the fewest unlisted differences counts.
    for attempt in range(RETRIES):
        suspects = [ex for ex in EXCHANGES if cmp.unlisted(per_exchange[ex.id], known)]
        if not suspects:
            break
        again = cmp.replay(suspects, ours.port, tomcat.port)
        for ex in suspects:
            diffs = cmp.compare(ex.id, *again[ex.id], ours.port, tomcat.port)
            if len(cmp.unlisted(diffs, known)) < len(cmp.unlisted(per_exchange[ex.id], known)):
                print(f"{ex.id}: differed on the first run only (timing), attempt {attempt + 2} counts")
                per_exchange[ex.id], results[ex.id] = diffs, again[ex.id]
    found = [d for ex in EXCHANGES for d in per_exchange[ex.id]]
    report = os.environ.get("DIFFTEST_REPORT")
    if report:
        Path(report).write_text("".join(d.line(400) + "\n" for d in found))
    dump = os.environ.get("DIFFTEST_DUMP")
    if dump:
        with open(dump, "w") as out:
            for ex in EXCHANGES:
                for side, outcomes in zip(("ours", "tomcat"), results[ex.id], strict=True):
                    steps = [([r.status for r in o.responses], o.connection, o.error) for o in outcomes]
                    out.write(f"{ex.id} | {side} | {steps}\n")
    # A difference counts for the first line that covers it (so "* | reason"
    # takes the reason phrases, and a line for one exchange's other
    # aspects goes stale once they agree).
    used = {next(k.lineno for k in known if k.matches(d)) for d in found if any(k.matches(d) for k in known)}
    stale = [k for k in known if k.lineno not in used]
    unlisted = sum(1 for d in found if not any(k.matches(d) for k in known))
    print(f"\n{len(EXCHANGES)} exchanges, {len(found)} differences, {unlisted} not listed")
    if stale:
        print(f"{len(stale)} known differences not seen any more (remove them from {cmp.KNOWN_FILE.name}):")
        for k in stale:
            print(f"  line {k.lineno}: {k.exchange} | {k.aspect}")
    return found


def test_known_differences_file_parses() -> None:
    assert cmp.load_known(), f"{cmp.KNOWN_FILE} lists nothing"


@pytest.mark.parametrize("area", AREAS)
def test_same_answers_as_tomcat(differences: list[cmp.Difference], area: str) -> None:
    """Every difference in this area of exchanges is listed with its reason."""
    known = cmp.load_known()
    mine = [d for d in differences if d.exchange.split("/", 1)[0] == area]
    unlisted = [d for d in mine if not any(k.matches(d) for k in known)]
    assert not unlisted, (
        f"{len(unlisted)} differences from Tomcat 10.1 in {area}/* not listed in {cmp.KNOWN_FILE}:\n"
        + "\n".join(d.line() for d in unlisted[:200])
    )
