"""The runner's table and options (no servers)."""

from __future__ import annotations

import argparse
from typing import Any

from bench.datasets import DATASETS
from bench.runner import ENDPOINTS, LIST_KIND, Measure, RunOptions, endpoints_named, table


def _entry(rps: float, p99: float, sql: str = "3", conflicts: int = 0) -> dict[str, Any]:
    return {
        "rps": rps,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "sql_per_request": sql,
        "non_2xx": conflicts,
        "conflicts_409": conflicts,
    }


def test_table_gives_ratios_to_the_floor_and_p99_growth() -> None:
    results = {
        "datasets": {
            "1m": {
                "appointments": 1_000_000,
                "description": "1000 × 1000",
                "endpoints": {
                    "professionals": {
                        "kind": LIST_KIND,
                        "ours": _entry(250.0, 120.0),
                        "before": _entry(125.0, 240.0),
                        "floor": _entry(500.0, 40.0, "2"),
                    },
                    "POST appointments (booking)": {
                        "kind": "write",
                        "ours": _entry(80.0, 300.0, "14", conflicts=3),
                    },
                },
            },
            "10k": {
                "appointments": 10_000,
                "description": "10 × 1000",
                "endpoints": {
                    "professionals": {
                        "kind": LIST_KIND,
                        "ours": _entry(260.0, 100.0),
                        "before": _entry(130.0, 200.0),
                        "floor": _entry(520.0, 40.0, "2"),
                    }
                },
            },
        }
    }
    text = table(results, ["ours", "before"])
    ours_line = next(line for line in text.splitlines() if line.startswith("professionals "))
    assert ours_line.split()[-2] == "0.50"  # 250 ÷ 500
    before_line = next(line for line in text.splitlines() if line.strip().startswith("before"))
    assert before_line.split()[-2] == "0.25"
    assert "3 (3 409)" in text
    growth = text.split("p99 a 1.000.000 ÷ p99 a 10.000")[1]
    row = next(line for line in growth.splitlines() if line.startswith("professionals"))
    assert row.split()[1:] == ["1.20", "1.20", "1.00"]


def test_median_of_rounds_ignores_missing_percentiles() -> None:
    measure = Measure(
        rounds=[
            {"rps": 10.0, "p50_ms": 1.0, "p99_ms": float("nan"), "requests": 5, "non_2xx": 0},
            {"rps": 30.0, "p50_ms": 3.0, "p99_ms": 9.0, "requests": 5, "non_2xx": 1},
            {"rps": 20.0, "p50_ms": 2.0, "p99_ms": 7.0, "requests": 5, "non_2xx": 0},
        ]
    )
    summary = measure.summary()
    assert (summary["rps"], summary["p50_ms"], summary["p99_ms"]) == (20.0, 2.0, 8.0)
    assert (summary["requests"], summary["non_2xx"]) == (15, 1)


def test_quick_options_and_endpoint_coverage() -> None:
    args = argparse.Namespace(
        sets=[DATASETS["10k"]],
        quick=True,
        rounds=None,
        duration=None,
        warmup=3,
        connections=16,
        workers=5,
        compare_ref=None,
        asaas_latency=False,
        only=None,
        port=18100,
        json=None,
    )
    options = RunOptions.from_args(args)
    assert (options.rounds, options.seconds) == (1, 5)
    args.quick = False
    assert (RunOptions.from_args(args).rounds, RunOptions.from_args(args).seconds) == (3, 10)
    paths = {endpoint.path.split("?")[0] for endpoint in ENDPOINTS}
    for expected in (
        "/api/professionals/",
        "/api/appointments/",
        "/api/patients/",
        "/api/payments/metrics/",
        "/api/availability/",
        "/api/payments/webhooks/asaas/",
    ):
        assert expected in paths
    assert {endpoint.method for endpoint in ENDPOINTS} == {"GET", "POST"}


def test_only_picks_the_endpoints_naming_any_of_its_parts() -> None:
    assert endpoints_named(None) == list(ENDPOINTS)
    names = [e.name for e in endpoints_named("patients/ID,webhook")]
    assert names == [e.name for e in ENDPOINTS if "patients/ID" in e.name or "webhook" in e.name]
    assert "patients/ID" in names
    assert any("webhook" in name for name in names)
    assert endpoints_named("no such endpoint") == []
