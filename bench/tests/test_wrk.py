"""The parser of wrk's report."""

from __future__ import annotations

import math

import pytest

from bench import wrk

REPORT = """Running 10s test @ http://127.0.0.1:18100/api/professionals/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    65.43ms   12.01ms 250.00ms   80.00%
    Req/Sec   122.50     20.10   180.00     70.00%
  Latency Distribution
     50%   62.10ms
     75%   70.00ms
     90%   80.00ms
     99%    1.25s
  2450 requests in 10.01s, 5.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 12
Requests/sec:    244.76
Transfer/sec:    511.00KB
BENCH_STATUS ok=2438 conflict=7 other=5
"""


def test_parse_reads_rate_percentiles_and_statuses() -> None:
    result = wrk.parse(REPORT)
    assert result.rps == pytest.approx(244.76)
    assert result.p50_ms == pytest.approx(62.10)
    assert result.p99_ms == pytest.approx(1250.0)
    assert result.requests == 2450
    assert (result.ok, result.conflicts, result.other) == (2438, 7, 5)
    assert result.non_2xx == 12
    assert result.socket_errors == 5


def test_parse_converts_microseconds_and_minutes() -> None:
    text = REPORT.replace("62.10ms", "850.00us").replace("1.25s", "1.50m")
    result = wrk.parse(text)
    assert result.p50_ms == pytest.approx(0.85)
    assert result.p99_ms == pytest.approx(90_000.0)


def test_parse_without_status_line_or_percentiles() -> None:
    text = "\n".join(
        line
        for line in REPORT.splitlines()
        if "BENCH_STATUS" not in line and "%   " not in line and "Socket" not in line
    )
    result = wrk.parse(text)
    assert result.ok is None
    assert result.non_2xx == 0
    assert result.socket_errors == 0
    assert math.isnan(result.p99_ms)


def test_parse_with_no_request_completed_has_no_percentiles() -> None:
    text = REPORT.replace("2450 requests in", "0 requests in").replace("244.76", "0.00")
    result = wrk.parse(text)
    assert result.rps == 0.0
    assert math.isnan(result.p50_ms)
    assert math.isnan(result.p99_ms)


def test_parse_refuses_what_is_not_a_report() -> None:
    with pytest.raises(ValueError, match="not a wrk report"):
        wrk.parse("unable to connect to 127.0.0.1:18100 Connection refused")


def test_missing_wrk_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.wrk.shutil.which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install wrk"):
        wrk.binary()
