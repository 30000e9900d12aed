"""Unit tests of bench/ws_echo.py's own logic (no server started): options, ratios, Tomcat's web.xml edit.

Run with: .venv/bin/python -m pytest bench/tests -q
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ws_echo  # noqa: E402
from http_hello import BENCH_MODULES  # noqa: E402


def test_servers_default_to_all_with_catalina_first() -> None:
    assert ws_echo.parse_servers(",".join(ws_echo.SERVERS)) == list(ws_echo.SERVERS)
    assert ws_echo.parse_servers("tomcat, catalina,tomcat") == ["catalina", "tomcat"]
    with pytest.raises(ValueError, match="must include catalina"):
        ws_echo.parse_servers("websockets,aiohttp")
    with pytest.raises(ValueError, match="unknown server"):
        ws_echo.parse_servers("catalina,nginx")


def test_scenarios_take_letters_or_names_and_the_default_has_all_five() -> None:
    assert ws_echo.parse_scenarios("e,a,opens") == ["opens", "pipelined"]
    assert sorted(ws_echo.parse_scenarios(ws_echo.DEFAULT_SCENARIOS)) == sorted(ws_echo.SCENARIOS.values())
    with pytest.raises(ValueError, match="unknown scenario"):
        ws_echo.parse_scenarios("f")


def _run(rate: float, cpu: float) -> dict:
    return {"msgs_per_s": rate, "server_cpu_us_per_msg": cpu}


def test_summarize_gives_catalina_over_each_other_row_per_round() -> None:
    runs = {
        "catalina": [_run(100, 10), _run(120, 8), _run(90, 12)],
        "tomcat": [_run(200, 5), _run(200, 4), _run(300, 3)],
    }
    catalina, tomcat = ws_echo.summarize("roundtrip", runs)
    assert "catalina_over_this_median" not in catalina
    assert catalina["msgs_per_s"] == 100 and catalina["server_cpu_median"] == 10  # the median run and CPU
    assert tomcat["catalina_over_this_per_round"] == [0.5, 0.6, 0.3]
    assert tomcat["catalina_over_this_median"] == 0.5
    assert tomcat["cpu_catalina_over_this_per_round"] == [2.0, 2.0, 4.0]
    assert tomcat["cpu_catalina_over_this_median"] == 2.0


def test_summarize_opens_uses_the_cpu_per_open_and_tolerates_a_zero() -> None:
    runs = {
        "catalina": [{"opens_per_s": 1000.0, "server_cpu_us_per_open": 500.0}],
        "aiohttp": [{"opens_per_s": 0.0, "server_cpu_us_per_open": None}],
    }
    _, aiohttp = ws_echo.summarize("opens", runs)
    assert aiohttp["catalina_over_this_per_round"] == [None]
    assert aiohttp["catalina_over_this_median"] is None
    assert aiohttp["cpu_catalina_over_this_median"] is None


def test_home_ratios_read_later_over_first() -> None:
    rows = ws_echo.summarize(
        "pipelined",
        {
            "catalina[before]": [_run(100, 10), _run(100, 10)],
            "catalina[after]": [_run(110, 9), _run(90, 11)],
        },
    )
    got = ws_echo.home_ratios(rows, ["before", "after"])
    assert got == {"after": {"pipelined": {"rate": [1.1, 0.9], "cpu": [0.9, 1.1]}}}


WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee"
  version="6.0"
  metadata-complete="true">
  <description>x</description>
</web-app>
"""


def test_tomcat_buffers_go_into_a_new_copy_of_web_xml(tmp_path: Path) -> None:
    installed = tmp_path / "installed.xml"
    installed.write_text(WEB_XML)
    copy = tmp_path / "web.xml"
    copy.symlink_to(installed)  # a copy that kept a link must not write through it
    ws_echo.set_tomcat_buffers(copy, 65536)
    assert installed.read_text() == WEB_XML
    assert not copy.is_symlink()
    text = copy.read_text()
    head, _, rest = text.partition('metadata-complete="true">')
    for name in ("textBufferSize", "binaryBufferSize"):
        assert f"<param-name>org.apache.tomcat.websocket.{name}</param-name>" in rest
    assert rest.count("<param-value>65536</param-value>") == 2
    assert rest.index("context-param") < rest.index("<description>")


def test_tomcat_buffers_need_a_web_app_element(tmp_path: Path) -> None:
    web_xml = tmp_path / "web.xml"
    web_xml.write_text("<nothing/>")
    with pytest.raises(ws_echo.BenchError, match="web-app"):
        ws_echo.set_tomcat_buffers(web_xml, 65536)


def test_every_python_peer_has_its_script_and_known_packages() -> None:
    for name, (script, packages) in ws_echo.PEER_SCRIPTS.items():
        assert name in ws_echo.SERVERS
        assert (ws_echo.PEERS / script).is_file()
        for package in packages:
            assert package in BENCH_MODULES


def test_software_lines_name_only_what_is_installed() -> None:
    info = {
        "catalina": [
            {"row": "catalina", "commit": "abc", "dirty": False, "path": "/x", "python": "3.11.7", "gevent": "26.9.0"}
        ],
        "peers": {"python": "3.11.7", "packages": {"websockets": "17.4", "aiohttp": None}},
        "tomcat": {"tomcat": "Apache Tomcat/10.1.60", "java": "openjdk 17", "buffer_bytes": 65536},
    }
    lines = ws_echo.software_lines(info)
    assert lines[0] == "catalina: catalina_py abc (/x) on Python 3.11.7, gevent 26.9.0"
    assert lines[1] == "peers (bench/.venv, Python 3.11.7): websockets 17.4"
    assert "Apache Tomcat/10.1.60" in lines[2] and "65536" in lines[2]
