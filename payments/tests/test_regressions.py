"""Regressions found by running the product end to end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from appointments.models import Appointment, PaymentStatus
from payments.services.onboarding import professional_onboard
from payments.services.split import split_compute
from professionals.models import IntegrationStatus, Professional

pytestmark = pytest.mark.django_db


def test_recording_missing_onboarding_data_does_not_enqueue_onboarding_again(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks() as created:
        professional = Professional.objects.create(
            preferred_name="Só v1",
            profession="Psicóloga",
            address="Rua A, 1",
            contact="so.v1@email.com",
        )
    assert len(created) == 1  # the first onboarding attempt

    with django_capture_on_commit_callbacks() as again:
        professional_onboard(professional_id=professional.pk)
    professional.refresh_from_db()
    assert professional.integration_status == IntegrationStatus.PENDING
    assert "cpf_cnpj" in professional.integration_error
    assert again == []  # no loop: the task's own partial save enqueues nothing


def test_changing_onboarding_data_enqueues_onboarding(
    django_capture_on_commit_callbacks: Any, api_client: APIClient
) -> None:
    professional = Professional.objects.create(
        preferred_name="Só v1", profession="Psicóloga", address="Rua A, 1", contact="a@b.com"
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.patch(
            f"/api/professionals/{professional.pk}/",
            {"asaas_wallet_id": "7bafd95a-e783-4a62-9be1-23999af742c6"},
            format="json",
        )
    assert response.status_code == 200
    assert len(callbacks) == 1


@pytest.mark.parametrize("total", ["99.90", "10.01", "33.33", "999999.99", "123.45"])
def test_split_amounts_satisfy_the_database_check_on_every_backend(total: str) -> None:
    professional = Professional.objects.create(
        preferred_name="P", profession="X", address="Y", contact="p@x.com"
    )
    amounts = split_compute(total=Decimal(total), professional_percentage=Decimal("85.00"))
    appointment = Appointment.objects.create(
        professional=professional,
        date=dt.datetime(2031, 1, 1, 13, 0, tzinfo=dt.UTC),
        status=PaymentStatus.PROCESSING,
        total_amount=Decimal(total),
        platform_amount=amounts.platform,
        professional_amount=amounts.professional,
    )
    appointment.refresh_from_db()
    assert appointment.platform_amount is not None
    assert appointment.professional_amount is not None
    assert appointment.platform_amount + appointment.professional_amount == Decimal(total)


def test_an_invalid_token_answers_the_standard_401_shape(anon_client: APIClient) -> None:
    response = anon_client.get("/api/professionals/", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_reading_the_payment_status_is_logged(api_client: APIClient, staff_user: Any) -> None:
    from core.models import AccessAction, AccessLog

    professional = Professional.objects.create(
        preferred_name="P", profession="X", address="Y", contact="p@x.com"
    )
    appointment = Appointment.objects.create(
        professional=professional, date=dt.datetime(2031, 2, 1, 13, 0, tzinfo=dt.UTC)
    )
    response = api_client.get(f"/api/appointments/{appointment.pk}/payment_status/")

    assert response.status_code == 200
    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.object_id) == (
        staff_user,
        AccessAction.RETRIEVE,
        str(appointment.pk),
    )


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("appointment-12", 12), ("appointment-", None), ("appointment-1x", None), ("patient-3", None)],
)
def test_only_our_appointment_references_are_parsed(reference: str, expected: int | None) -> None:
    from payments.services.charges import appointment_id_from_reference

    assert appointment_id_from_reference(reference) == expected
