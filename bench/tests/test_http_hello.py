"""Unit tests of bench/http_hello.py's pure parts: wrk's output, the kernel's connection counts, the flags of
a run, the per-round ratios and the goal lines. No server, no wrk.

Run with: .venv/bin/python -m pytest bench/tests -q
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from http_hello import (  # noqa: E402
    BenchError,
    add_ratios,
    fmt_ratio,
    goal_lines,
    median,
    other_processes_cpu_seconds,
    parse_modes,
    parse_tcp_opens,
    parse_wrk,
    per_round_ratios,
    run_flags,
    summarize_runs,
    wrk_seconds,
)

KEEPALIVE_OUTPUT = """\
Running 2s test @ http://127.0.0.1:57447/examples/servlets/helloworld
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.95ms    1.39ms  26.69ms   84.17%
    Req/Sec     7.24k   825.75    10.22k    90.00%
  Latency Distribution
     50%    6.90ms
     75%    7.38ms
     90%    8.12ms
     99%   11.33ms
  14396 requests in 2.00s, 2.99MB read
Requests/sec:   7189.01
Transfer/sec:      1.50MB
"""

CLOSE_OUTPUT_WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:45063/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.19ms    2.94ms  31.47ms   84.66%
    Req/Sec     3.26k   431.84     3.70k    80.00%
  Latency Distribution
     50%  914.00us
     75%   16.00ms
     90%   18.47ms
     99%    1.27s
  6489 requests in 2.00s, 1.35MB read
  Socket errors: connect 12, read 6489, write 3, timeout 7
  Non-2xx or 3xx responses: 4
Requests/sec:   3239.22
Transfer/sec:    689.66KB
"""

SNMP = """\
Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 123
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab
Tcp: 1 200 120000 -1 2461349 2459688 592 511097 0
Udp: InDatagrams NoPorts
Udp: 1 2
"""


def test_parse_wrk_reads_the_rate_the_count_and_the_percentiles() -> None:
    got = parse_wrk(KEEPALIVE_OUTPUT)
    assert got["rps"] == 7189.01
    assert got["requests"] == 14396
    assert got["p50_ms"] == pytest.approx(6.90)
    assert got["p99_ms"] == pytest.approx(11.33)
    assert got["socket_errors"] == {}
    assert got["non_2xx"] == 0


def test_parse_wrk_reads_socket_errors_non_2xx_and_every_latency_unit() -> None:
    got = parse_wrk(CLOSE_OUTPUT_WITH_ERRORS)
    assert got["socket_errors"] == {"connect": 12, "read": 6489, "write": 3, "timeout": 7}
    assert got["non_2xx"] == 4
    assert got["p50_ms"] == pytest.approx(0.914)
    assert got["p99_ms"] == pytest.approx(1270.0)


def test_parse_wrk_fails_loudly_on_output_it_does_not_know() -> None:
    with pytest.raises(BenchError):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_takes_whole_seconds_and_at_least_one() -> None:
    assert [wrk_seconds(d) for d in (0.2, 0.5, 1.4, 2.0, 9.6)] == [1, 1, 1, 2, 10]


def test_parse_tcp_opens_takes_the_tcp_counters() -> None:
    assert parse_tcp_opens(SNMP) == {"active": 2461349, "passive": 2459688}
    with pytest.raises(BenchError):
        parse_tcp_opens("Ip: Forwarding\nIp: 1\n")


def test_other_processes_count_their_growth_and_the_processes_started_during_the_run() -> None:
    before = {1: 10.0, 2: 5.0, 3: 1.0}  # 3 ends during the run
    after = {1: 10.5, 2: 5.0, 4: 0.25}  # 4 starts during the run
    assert other_processes_cpu_seconds(before, after) == pytest.approx(0.75)


def test_parse_modes_keeps_the_order_given_and_refuses_unknown_modes() -> None:
    assert parse_modes("keepalive,close") == ["keepalive", "close"]
    assert parse_modes(" close , keepalive,close") == ["close", "keepalive"]
    with pytest.raises(BenchError):
        parse_modes("keepalive,pipelined")
    with pytest.raises(BenchError):
        parse_modes(" , ")


def run(mode: str = "keepalive", rps: float = 1000.0, requests: int = 10_000, **extra: object) -> dict:
    """A measured run as measure() returns it, with only the fields the pure functions read."""
    out = {
        "mode": mode,
        "rps": rps,
        "requests": requests,
        "p99_ms": 5.0,
        "socket_errors": {},
        "non_2xx": 0,
        "tcp_opens": 50,
        "tcp_opens_per_s": 5.0,
        "server_cpu_us_per_request": 100.0,
        "flags": [],
    }
    out.update(extra)
    return out


def test_a_clean_run_has_no_flags() -> None:
    assert run_flags(run()) == []
    assert run_flags(run("close", requests=10_000, tcp_opens=10_050)) == []


def test_socket_errors_and_non_2xx_flag_a_run() -> None:
    flags = run_flags(run(socket_errors={"connect": 3, "read": 0, "write": 0, "timeout": 1}, non_2xx=2))
    assert flags == ["socket errors connect 3, timeout 1", "non-2xx 2"]


def test_a_run_beside_busy_other_processes_is_flagged_as_noisy() -> None:
    assert run_flags(run(other_processes_cpu_pct=19.0)) == []
    assert run_flags(run(other_processes_cpu_pct=35.4)) == ["noisy: other processes used 35% of a CPU"]


def test_a_close_run_with_fewer_connections_than_requests_is_flagged() -> None:
    flags = run_flags(run("close", requests=10_000, tcp_opens=60))
    assert len(flags) == 1 and "60 connections for 10000 requests" in flags[0]
    # Keep-alive mode reuses connections by design.
    assert run_flags(run("keepalive", requests=10_000, tcp_opens=60)) == []


def test_read_errors_are_expected_in_close_mode_only_from_a_server_that_closes_without_saying_so() -> None:
    errors = {"connect": 0, "read": 9000, "write": 0, "timeout": 0}
    close = run("close", requests=9000, tcp_opens=9050, socket_errors=errors)
    assert run_flags(close, closes_without_header=True) == []
    assert run_flags(close) == ["socket errors read 9000"]
    keepalive = run("keepalive", socket_errors=errors)
    assert run_flags(keepalive, closes_without_header=True) == ["socket errors read 9000"]
    # Other errors still flag, and so does a connection count that shows reuse.
    other = dict(errors, connect=5)
    assert run_flags(run("close", requests=9000, tcp_opens=9050, socket_errors=other), True) == [
        "socket errors connect 5"
    ]
    assert len(run_flags(run("close", requests=9000, tcp_opens=50, socket_errors=errors), True)) == 1


def test_per_round_ratios_and_their_median() -> None:
    assert per_round_ratios([10.0, 20.0, 30.0], [5.0, 10.0, 60.0]) == [2.0, 2.0, 0.5]
    assert median([2.0, 2.0, 0.5]) == 2.0
    assert median([1.0, 4.0, 3.0, 2.0]) == 2.0  # the lower middle one of an even count
    with pytest.raises(ValueError):
        per_round_ratios([1.0, 2.0], [1.0])


def test_summarize_runs_takes_the_median_run_and_every_runs_flags() -> None:
    runs = [run(rps=900.0), run(rps=1100.0, flags=["non-2xx 1"]), run(rps=1000.0, p99_ms=7.0)]
    row = summarize_runs("catalina", "keepalive", 0, runs)
    assert row["rps"] == 1000.0 and row["p99_ms"] == 7.0
    assert row["all_runs_rps"] == [900.0, 1100.0, 1000.0]
    assert row["all_runs_p99_ms"] == [5.0, 5.0, 7.0]
    assert row["flags"] == ["round 2: non-2xx 1"]
    assert summarize_runs("x", "close", 0, [run(flags=["f"])])["flags"] == ["f"]


def rows_for(
    mode: str, catalina: list[float], uvicorn: list[float], pywsgi: list[float], p99: tuple[float, float]
) -> list[dict]:
    """Rows of the three Python servers in one mode, measured in the same rounds (group 0)."""
    out = []
    for name, rates, latency in (
        ("catalina", catalina, p99[0]),
        ("pywsgi", pywsgi, 10.0),
        ("uvicorn", uvicorn, p99[1]),
    ):
        out.append(summarize_runs(name, mode, 0, [run(mode, rps=r, p99_ms=latency) for r in rates]))
    return out


def test_add_ratios_per_round_in_the_same_mode() -> None:
    rows = rows_for("keepalive", [100.0, 120.0, 90.0], [200.0, 200.0, 100.0], [50.0, 60.0, 60.0], (4.0, 5.0))
    rows += rows_for("close", [30.0, 30.0, 30.0], [20.0, 30.0, 40.0], [30.0, 30.0, 30.0], (8.0, 4.0))
    add_ratios(rows)
    catalina = rows[0]
    assert catalina["ratio_to_uvicorn_per_round"] == [0.5, 0.6, 0.9]
    assert catalina["ratio_to_uvicorn_median_of_rounds"] == 0.6
    assert catalina["ratio_to_pywsgi_per_round"] == [2.0, 2.0, 1.5]
    assert catalina["p99_ratio_to_uvicorn_median_of_rounds"] == pytest.approx(0.8)
    assert fmt_ratio(catalina, "uvicorn") == "0.60x"
    close = rows[3]
    assert close["mode"] == "close"
    assert close["ratio_to_uvicorn_per_round"] == [1.5, 1.0, 0.75]
    assert close["p99_ratio_to_uvicorn_median_of_rounds"] == pytest.approx(2.0)


def test_add_ratios_across_groups_compares_medians_only() -> None:
    rows = rows_for("keepalive", [100.0], [200.0], [50.0], (4.0, 5.0))
    rows.append(summarize_runs("tomcat", "keepalive", 1, [run(rps=400.0)]))
    rows.append({"server": "tomcat", "mode": "close", "group": 1, "measured": False, "reason": "not installed"})
    add_ratios(rows)
    tomcat = rows[3]
    assert tomcat["ratio_to_uvicorn"] == 2.0
    assert "ratio_to_uvicorn_per_round" not in tomcat
    assert fmt_ratio(tomcat, "uvicorn") == "(2.00x)"
    assert "ratio_to_uvicorn" not in rows[4]


def test_goal_lines_judge_each_mode_on_the_median_of_the_rounds() -> None:
    rows = rows_for("keepalive", [100.0, 120.0, 90.0], [200.0, 200.0, 100.0], [50.0, 60.0, 60.0], (4.0, 5.0))
    rows += rows_for("close", [30.0, 45.0, 30.0], [20.0, 30.0, 40.0], [20.0, 30.0, 20.0], (8.0, 4.0))
    add_ratios(rows)
    lines = goal_lines(rows, ["keepalive", "close"])
    assert len(lines) == 4
    keepalive_pywsgi, keepalive_uvicorn, close_pywsgi, close_uvicorn = lines
    assert keepalive_pywsgi.startswith("keepalive: catalina / pywsgi") and "median 2.00x: meets" in keepalive_pywsgi
    assert "median 0.60x: does NOT meet the goal of 1.0x" in keepalive_uvicorn
    assert "median 0.80: no worse than uvicorn's" in keepalive_uvicorn
    assert "median 1.50x: meets the goal of 1.5x" in close_pywsgi
    assert "median 1.50x: meets the goal of 1.0x" in close_uvicorn
    assert "median 2.00: WORSE than uvicorn's" in close_uvicorn


def test_goal_lines_mention_a_flagged_row() -> None:
    rows = rows_for("close", [30.0], [20.0], [20.0], (4.0, 5.0))
    rows[0]["flags"] = ["socket errors connect 3"]
    add_ratios(rows)
    assert all("flagged" in line for line in goal_lines(rows, ["close"]))
