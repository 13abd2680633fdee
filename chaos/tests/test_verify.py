"""The campaign's judgement of our state against Asaas's, without a stack (fast, always run)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chaos.cli import LABELS, failing, print_table
from chaos.verify import REQUIRED, drift_count, expected_refunded, expected_status


def payment(status: str, **extra: object) -> dict[str, object]:
    return {"status": status, "value": "100.00", "deleted": False, "refunds": None, **extra}


@pytest.mark.parametrize(
    ("truth", "agreeing"),
    [
        (payment("PENDING"), {"PROCESSING"}),
        (payment("OVERDUE"), {"PROCESSING"}),
        (payment("RECEIVED"), {"PAID"}),
        (payment("CONFIRMED"), {"PAID"}),
        (payment("REFUND_IN_PROGRESS"), {"PAID"}),
        (payment("REFUNDED"), {"REFUNDED"}),
        (payment("CHARGEBACK_REQUESTED", chargeback={"status": "REQUESTED"}), {"CHARGEBACK"}),
        (payment("CHARGEBACK_DISPUTE", chargeback={"status": "DISPUTE_LOST"}), {"REFUNDED"}),
        (payment("RECEIVED", deleted=True), {"CANCELED"}),
    ],
)
def test_expected_status(truth: dict[str, object], agreeing: set[str]) -> None:
    assert expected_status(truth) == agreeing


def test_unknown_asaas_status_is_not_judged() -> None:
    assert expected_status(payment("SOMETHING_NEW")) is None


def test_refunded_counts_done_refunds_only() -> None:
    refunds = [
        {"status": "DONE", "value": "10.00"},
        {"status": "PENDING", "value": "30.00"},
        {"value": "5.50"},  # older captures carry no status
    ]
    assert expected_refunded(payment("RECEIVED", refunds=refunds)) == Decimal("15.50")
    assert expected_refunded(payment("REFUNDED", refunds=refunds)) == Decimal("100.00")
    assert expected_refunded(payment("CHARGEBACK_REQUESTED")) is None
    assert expected_refunded(payment("RECEIVED")) == Decimal("0.00")


def test_drift_count_reads_the_reconcile_report() -> None:
    assert drift_count({"drift_found": 3, "drifts": [{}]}) == 3
    assert drift_count({"drifts": [{}, {}]}) == 2
    assert str(drift_count({"error": "boom"})).startswith("?")


def test_failing_names_every_nonzero_required_figure() -> None:
    figures: dict[str, object] = dict.fromkeys(REQUIRED, 0)
    assert failing(figures) == []
    figures["booking_5xx"] = 17
    figures["metrics_gap_brl"] = "200.00"
    figures["drift_after_reconcile"] = "n/a"
    assert failing(figures) == ["booking_5xx", "metrics_gap_brl"]


def test_the_table_names_and_prints_every_required_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert set(LABELS) == set(REQUIRED)
    figures: dict[str, object] = dict.fromkeys(REQUIRED, 0)
    figures["processes_died_unexpectedly"] = 1
    print_table(
        {
            "plan": "quick",
            "figures": figures,
            "scenarios": {},
            "examples": {},
            "timings_s": {},
            "notes": [],
        }
    )
    printed = capsys.readouterr().out
    assert all(LABELS[key] in printed for key in REQUIRED)
    assert "FALHOU: processes_died_unexpectedly" in printed
