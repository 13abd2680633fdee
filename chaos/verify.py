"""Our state against the emulator's truth, for every appointment the campaign booked."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg

from .api import money
from .campaign import Campaign
from .procs import ROOT

log = logging.getLogger("chaos")

#: Asaas status → the local status that agrees with it (PROCESSING is "awaiting payment").
AGREEING: dict[str, set[str]] = {
    "PENDING": {"PROCESSING"},
    "OVERDUE": {"PROCESSING"},
    "CONFIRMED": {"PAID"},
    "RECEIVED": {"PAID"},
    "RECEIVED_IN_CASH": {"PAID"},
    "REFUND_REQUESTED": {"PAID"},
    "REFUND_IN_PROGRESS": {"PAID"},
    "REFUNDED": {"REFUNDED"},
    "CHARGEBACK_REQUESTED": {"CHARGEBACK"},
    "CHARGEBACK_DISPUTE": {"CHARGEBACK"},
    "AWAITING_CHARGEBACK_REVERSAL": {"CHARGEBACK"},
}
#: A chargeback in one of these states is lost: the money went back to the payer.
CHARGEBACK_LOST = {"DONE", "DISPUTE_LOST"}
#: Refunds in these states have happened (a card refund may still be REQUESTED/IN_PROGRESS).
REFUND_DONE = {"DONE", "", None}


def expected_status(truth: dict[str, Any]) -> set[str] | None:
    """The local statuses that agree with Asaas's payment (None: a status we do not judge)."""
    if truth.get("deleted"):
        return {"CANCELED"}
    chargeback = truth.get("chargeback")
    if isinstance(chargeback, dict) and chargeback.get("status") in CHARGEBACK_LOST:
        return {"REFUNDED"}
    return AGREEING.get(str(truth.get("status")))


def expected_refunded(truth: dict[str, Any]) -> Decimal | None:
    """What Asaas has refunded (None while a chargeback is open: not judged)."""
    status = str(truth.get("status"))
    if status == "REFUNDED":
        return money(truth["value"])
    if "CHARGEBACK" in status:
        return None
    done = [r for r in truth.get("refunds") or [] if r.get("status") in REFUND_DONE]
    return sum((money(r.get("value")) for r in done), Decimal("0.00"))


REQUIRED = (
    "lost_charges",
    "duplicated_charges",
    "wrong_final_status",
    "wrong_refunded_amount",
    "missing_ledger_rows",
    "null_split_amounts",
    "booking_5xx",
    "slots_not_exactly_one",
    "metrics_gap_brl",
    "drift_after_reconcile",
    # A web, worker or beat process that ended on its own (the supervisor restarted it): the
    # product must live through its faults without a restart policy.
    "processes_died_unexpectedly",
)


@dataclass
class Figures:
    values: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, example: str) -> None:
        self.values[key] = self.values.get(key, 0) + 1
        bucket = self.examples.setdefault(key, [])
        if len(bucket) < 5:
            bucket.append(example)


def _ledger(campaign: Campaign) -> dict[int, Counter[str]] | None:
    """SUCCESS CHARGE/SPLIT ledger rows per appointment, or None when the table is not there."""
    query = (
        "SELECT appointment_id, transaction_type, count(*) FROM payments_paymenttransaction "
        "WHERE status = 'SUCCESS' AND transaction_type IN ('CHARGE', 'SPLIT') GROUP BY 1, 2"
    )
    try:
        with psycopg.connect(campaign.stack.database_url) as conn:
            rows = conn.execute(query).fetchall()
    except psycopg.Error as error:
        campaign.notes.append(f"ledger not readable: {type(error).__name__}")
        return None
    ledger: dict[int, Counter[str]] = {}
    for appointment_id, kind, count in rows:
        ledger.setdefault(int(appointment_id), Counter())[str(kind)] += int(count)
    return ledger


def event_trail(campaign: Campaign, payment_id: str) -> str:
    """Our webhook events of one payment, oldest first: ``TYPE/OUTCOME(attempts)[error]``, so
    that a wrong figure says how it came about."""
    query = (
        "SELECT event_type, outcome, attempts, left(error, 40) FROM payments_webhookevent "
        "WHERE asaas_payment_id = %s ORDER BY received_at, id"
    )
    try:
        with psycopg.connect(campaign.stack.database_url) as conn:
            rows = conn.execute(query, [payment_id]).fetchall()
    except psycopg.Error as error:
        return f"events not readable: {type(error).__name__}"
    return " ".join(
        f"{kind.removeprefix('PAYMENT_')}/{outcome}({attempts})" + (f"[{error}]" if error else "")
        for kind, outcome, attempts, error in rows
    )


def compare(campaign: Campaign, *, subset: set[int] | None = None) -> Figures:
    """The money figures, comparing every booked appointment with the emulator."""
    figures = Figures(dict.fromkeys(REQUIRED[:6], 0))
    ours = campaign.app.appointments()
    at_asaas: dict[str, list[dict[str, Any]]] = {}
    for payment in campaign.emulator.all_payments():
        if payment.get("externalReference") and not payment.get("deleted"):
            at_asaas.setdefault(str(payment["externalReference"]), []).append(payment)
    ledger = _ledger(campaign) if subset is None else {}
    booked = campaign.billed_ids() if subset is None else sorted(subset)
    for pk in booked:
        mine = ours.get(pk)
        charges = at_asaas.get(f"appointment-{pk}", [])
        if mine is None:
            figures.add("lost_charges", f"appointment {pk}: booked (201) but gone")
            continue
        if len(charges) > 1:
            for _ in charges[1:]:
                figures.add("duplicated_charges", f"appointment {pk}: {len(charges)} charges")
        if not charges:
            if mine["status"] not in {"FAILED", "CANCELED"}:
                figures.add("lost_charges", f"appointment {pk}: {mine['status']}, no charge")
            continue
        payment_id = mine.get("asaas_payment_id") or charges[0]["id"]
        truth = campaign.emulator.payment(str(payment_id))
        expected = expected_status(truth)
        if expected is not None and mine["status"] not in expected:
            figures.add(
                "wrong_final_status",
                f"appointment {pk}: ours {mine['status']}, Asaas {truth['status']}; events: "
                + event_trail(campaign, str(payment_id)),
            )
        refunded = expected_refunded(truth)
        if refunded is not None and money(mine["refunded_amount"]) != refunded:
            figures.add(
                "wrong_refunded_amount",
                f"appointment {pk}: ours {mine['refunded_amount']}, Asaas {refunded}",
            )
        if mine.get("platform_amount") is None or mine.get("professional_amount") is None:
            figures.add("null_split_amounts", f"appointment {pk}: split amounts NULL")
        if ledger is not None and subset is None:
            rows = ledger.get(pk, Counter())
            for kind in ("CHARGE", "SPLIT"):
                if rows[kind] == 0:
                    figures.add("missing_ledger_rows", f"appointment {pk}: no {kind} row")
    if ledger is None:
        figures.values["missing_ledger_rows"] = "n/a"
    return figures


def booking_figures(campaign: Campaign, figures: Figures) -> None:
    bookings = campaign.bookings
    figures.values["bookings_sent"] = len(bookings)
    figures.values["bookings_201"] = sum(b.status == 201 for b in bookings)
    figures.values["booking_5xx"] = sum(b.status >= 500 for b in bookings)
    figures.values["booking_5xx_during_redis_outage"] = sum(
        b.status >= 500 and b.during_outage for b in bookings
    )
    figures.values["booking_no_answer"] = sum(b.status == 0 for b in bookings)
    figures.examples["booking_5xx"] = [
        f"{b.slot}: {b.status}{' (Redis down)' if b.during_outage else ''}"
        for b in bookings
        if b.status >= 500
    ][:5]
    other = Counter(b.status for b in bookings if b.status not in (201, 0) and b.status < 500)
    figures.values["booking_other_answers"] = dict(other)
    # Contested slots (several requests for one slot) must end with exactly one 201.
    not_one = 0
    for slot, statuses in campaign.slot_results.items():
        if len(statuses) > 1 and statuses.count(201) != 1:
            not_one += 1
            figures.examples.setdefault("slots_not_exactly_one", []).append(
                f"{slot}: answers {statuses}"
            )
    # And no slot may hold two live appointments, whatever the answers were.
    ours = campaign.app.appointments()
    live = Counter(
        (item["professional"], item["date"])
        for item in ours.values()
        if item["status"] not in {"CANCELED", "REFUNDED"}
    )
    not_one += sum(1 for count in live.values() if count > 1)
    figures.values["slots_not_exactly_one"] = not_one
    known = set(campaign.billed_ids())
    figures.values["bookings_saved_without_201"] = sum(1 for pk in ours if pk not in known)


ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>[^ ?"]+)[^"]*" (?P<status>5\d\d) ')


def server_errors_by_path(campaign: Campaign, figures: Figures) -> None:
    """Every 5xx in gunicorn's access log, by method and path (ids folded): webhooks too."""
    log_file = campaign.stack.children["web"].log
    found: Counter[str] = Counter()
    if log_file.exists():
        for line in log_file.read_text(errors="replace").splitlines():
            match = ACCESS_LINE.search(line)
            if match:
                path = re.sub(r"/\d+/", "/{id}/", match["path"])
                found[f"{match['method']} {path} {match['status']}"] += 1
    figures.values["server_5xx_by_path"] = dict(found)


def metrics_gap(campaign: Campaign, figures: Figures) -> None:
    daily = campaign.app.metrics()["daily"]
    paid = sum((money(d["paid_amount"]) for d in daily), Decimal("0.00"))
    split = sum(
        (money(d["platform_revenue"]) + money(d["professional_payouts"]) for d in daily),
        Decimal("0.00"),
    )
    figures.values["metrics_paid_amount_brl"] = str(paid)
    figures.values["metrics_gap_brl"] = str(paid - split) if paid != split else 0


def reconcile(campaign: Campaign, *args: str) -> dict[str, Any]:
    """Run ``reconcile_payments --json [args]``; its JSON report plus ``exit`` (or ``error``)."""
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "reconcile_payments", "--json", *args],
            cwd=ROOT,
            env=campaign.stack.app_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    try:
        report: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        tail = (result.stdout.strip() or result.stderr.strip())[-300:]
        return {"exit": result.returncode, "error": tail.replace("\n", " | ")}
    report["exit"] = result.returncode
    return report


def drift_count(report: dict[str, Any]) -> int | str:
    """Drift items in a reconcile report (``drift_found``; else the ``drifts`` list)."""
    if isinstance(report.get("drift_found"), int):
        return int(report["drift_found"])
    if isinstance(report.get("drifts"), list):
        return len(report["drifts"])
    return f"? ({report.get('error', 'unknown output')})"


def reconcile_available(campaign: Campaign) -> bool:
    result = subprocess.run(
        [sys.executable, "manage.py", "help", "reconcile_payments"],
        cwd=ROOT,
        env=campaign.stack.app_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    return result.returncode == 0
