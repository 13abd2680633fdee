"""One owner of payment state: only ``payments/services/state.py`` writes a charge's fields or
the appointment's payment fields (the billing service only marks a new billable booking)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "professionals", "appointments", "payments")
OWNER = Path("payments/services/state.py")
CHARGE_WRITE = re.compile(
    r"\bcharge\.(status|asaas_status|asaas_payment_id|refunded_amount|value|platform_amount|"
    r"professional_amount|chargeback_status|paid_at|attempts)\s*=(?!=)"
)
PAYMENT_FIELD_WRITE = re.compile(
    r"\bappointment\.(asaas_payment_id|platform_amount|professional_amount|refunded_amount|"
    r"paid_at|payment_attempts|last_payment_error|asaas_invoice_url)\s*=(?!=)"
)
BULK_WRITE = re.compile(r"Charge\.objects\b.*\.update\(")


def _sources() -> list[Path]:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations", "emulator"} & set(relative.parts):
                continue
            found.append(relative)
    return found


def test_only_the_transition_module_writes_payment_state() -> None:
    offenders = []
    for relative in _sources():
        if relative == OWNER:
            continue
        for number, line in enumerate((ROOT / relative).read_text().splitlines(), 1):
            if CHARGE_WRITE.search(line) or PAYMENT_FIELD_WRITE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
            if BULK_WRITE.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_sees_the_owner() -> None:
    text = (ROOT / OWNER).read_text()
    assert CHARGE_WRITE.search(text)
    assert OWNER in _sources()
