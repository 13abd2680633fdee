"""No secret and no personal data in logs or in stored payment records."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, Patient, PaymentStatus
from core.tests.factories import ProfessionalFactory
from payments.emulator import EmulatorServer
from payments.models import PaymentTransaction, WebhookEvent
from payments.services.asaas_service import AsaasService
from payments.services.charges import charge_submit
from payments.services.onboarding import professional_onboard
from payments.services.webhooks import webhook_event_process
from payments.tasks import create_asaas_charge_task
from professionals.models import Professional

from .conftest import PATIENT_EMAIL, PATIENT_NAME, EmulatorControl, subaccount_fields

pytestmark = pytest.mark.django_db

WEBHOOK_TOKEN = "whk-very-secret-token-5f0c8e1d"


def stored_text() -> str:
    rows: list[Any] = []
    for tx in PaymentTransaction.objects.all():
        rows += [tx.request_payload, tx.response_payload, tx.error_message]
    for event in WebhookEvent.objects.all():
        rows += [event.payload, event.error]
    rows += list(Appointment.objects.values_list("last_payment_error", flat=True))
    return json.dumps(rows, default=str, ensure_ascii=False)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_a_full_flow_leaks_nothing(
    caplog: pytest.LogCaptureFixture,
    settings: Any,
    asaas_settings: Any,
    emulator: EmulatorServer,
    asaas: AsaasService,
    emulator_control: EmulatorControl,
    make_professional: Callable[..., Professional],
    make_patient: Callable[..., Patient],
    make_billed_appointment: Callable[..., Appointment],
    staff_client: APIClient,
    api_client: APIClient,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.ASAAS_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    patient = make_patient()
    professional = make_professional()
    secrets = {
        "api key": emulator.api_key,
        "webhook token": WEBHOOK_TOKEN,
        "cpf": patient.cpf,
        "name": PATIENT_NAME,
        "e-mail": PATIENT_EMAIL,
        "professional cpf": professional.cpf_cnpj,
    }

    # Onboarding (subaccount with the professional's document) and a failing one.
    onboarded = ProfessionalFactory.create(**subaccount_fields())
    secrets["onboarded cpf"] = onboarded.cpf_cnpj
    professional_onboard(professional_id=onboarded.pk, asaas=asaas)
    bad_phone = ProfessionalFactory.create(**subaccount_fields(phone="123"))
    secrets["bad phone cpf"] = bad_phone.cpf_cnpj
    professional_onboard(professional_id=bad_phone.pk, asaas=asaas)

    # Charge through the task (client from settings), a retryable failure, then success.
    appointment = make_billed_appointment(professional=professional, patient=patient)
    emulator_control.faults(fail_next=3)  # a GET and its two retries answer 500
    assert charge_submit(appointment_id=appointment.pk, asaas=asaas).retry_in is not None
    create_asaas_charge_task.apply(args=(appointment.pk,))
    appointment.refresh_from_db()
    assert appointment.status == PaymentStatus.PROCESSING
    assert appointment.asaas_payment_id is not None

    # A charge refused by Asaas (the patient's CPF is invalid there).
    bad = make_patient(cpf="12345678900", name="Outro Nome Sigiloso", email="outro@example.com")
    secrets.update({"bad cpf": bad.cpf, "other name": bad.name, "other e-mail": bad.email})
    refused = make_billed_appointment(professional=professional, patient=bad)
    charge_submit(appointment_id=refused.pk, asaas=asaas)
    assert Appointment.objects.get(pk=refused.pk).status == PaymentStatus.FAILED

    # Paid at Asaas; the emulator's webhooks reach our view; a crafted one carries personal data.
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    for event in emulator_control.webhook_events(wait_idle=0):
        response = api_client.post(
            "/api/payments/webhooks/asaas/",
            event["payload"],
            format="json",
            HTTP_ASAAS_ACCESS_TOKEN=WEBHOOK_TOKEN,
        )
        assert response.status_code == 200
        # Answered at once; the worker then processes the stored event (its first pass here).
        delivered = WebhookEvent.objects.get(event_id=event["payload"]["id"])
        webhook_event_process(event_id=delivered.pk, wait=False)
    crafted = {
        "id": "evt_with_customer",
        "event": "PAYMENT_UPDATED",
        "payment": {
            "id": appointment.asaas_payment_id,
            "externalReference": f"appointment-{appointment.pk}",
            "customer": {"name": PATIENT_NAME, "cpfCnpj": patient.cpf, "email": PATIENT_EMAIL},
        },
        "customer": {"name": PATIENT_NAME, "cpfCnpj": patient.cpf, "email": PATIENT_EMAIL},
    }
    api_client.post(
        "/api/payments/webhooks/asaas/",
        crafted,
        format="json",
        HTTP_ASAAS_ACCESS_TOKEN=WEBHOOK_TOKEN,
    )
    api_client.post(
        "/api/payments/webhooks/asaas/",
        crafted,
        format="json",
        HTTP_ASAAS_ACCESS_TOKEN=WEBHOOK_TOKEN[:-1],
    )
    assert Appointment.objects.get(pk=appointment.pk).status == PaymentStatus.PAID

    # Status refresh and refunds through the API.
    assert staff_client.get(
        f"/api/appointments/{appointment.pk}/payment_status/", {"refresh": "true"}
    ).status_code == (200)
    partial = staff_client.post(
        f"/api/appointments/{appointment.pk}/refund/", {"amount": "10.00"}, format="json"
    )
    assert partial.status_code == 200
    full = staff_client.post(f"/api/appointments/{appointment.pk}/refund/", {}, format="json")
    assert full.status_code == 200, full.content

    # The flow left records and logs to inspect...
    assert PaymentTransaction.objects.count() >= 7
    assert WebhookEvent.objects.count() >= 3
    assert len(caplog.records) > 20
    stored = stored_text()
    logged = log_text(caplog)
    assert appointment.asaas_payment_id in stored
    assert '"[scrubbed]"' in stored  # personal fields were there, and were masked
    assert "/v3/payments" in logged

    # ...and none of them holds a secret or personal data.
    for label, secret in secrets.items():
        assert secret, label
        assert secret not in stored, f"{label} stored in a payment record"
        assert secret not in logged, f"{label} written to the logs"
