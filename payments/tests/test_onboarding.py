"""Professional onboarding: a wallet from the emulator, or a supplied one, or a clear error."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory
from payments.services.asaas_service import AsaasService
from payments.services.onboarding import professional_onboard
from payments.tasks import professional_onboard_task
from professionals.models import IntegrationStatus, Professional

from .conftest import EmulatorControl, subaccount_fields

pytestmark = pytest.mark.django_db


def reloaded(professional: Professional) -> Professional:
    return Professional.objects.get(pk=professional.pk)


def test_full_subaccount_data_gives_an_active_professional_with_the_emulator_wallet(
    asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    professional = ProfessionalFactory.create(**subaccount_fields())

    error = professional_onboard(professional_id=professional.pk, asaas=asaas)

    assert error is None
    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ACTIVE
    assert professional.integration_error == ""
    assert professional.is_chargeable
    accounts = {a["id"]: a["walletId"] for a in emulator_control.state()["accounts"]}
    assert accounts[professional.asaas_account_id] == professional.asaas_wallet_id
    assert professional.asaas_created_at is not None

    # Running again (a redelivered task) creates no second subaccount.
    assert professional_onboard(professional_id=professional.pk, asaas=asaas) is None
    assert len(emulator_control.state()["accounts"]) == len(accounts)


def test_a_supplied_wallet_is_accepted_without_calling_asaas(
    asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    wallet = str(uuid.uuid4())
    professional = ProfessionalFactory.create(asaas_wallet_id=wallet)
    before = emulator_control.state()["counts"]
    emulator_control.faults(error_rate=1.0)  # any call would fail

    assert professional_onboard(professional_id=professional.pk, asaas=asaas) is None

    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ACTIVE
    assert professional.asaas_wallet_id == wallet
    assert professional.asaas_account_id == ""
    emulator_control.faults(error_rate=0.0)
    assert emulator_control.state()["counts"] == before


# Fixed values: pytest-xdist needs every worker to collect the same test ids.
@pytest.mark.parametrize(
    "wallet", ["not-a-wallet", "12345", "8bb8bbae-c91e-41a1-aa86-b91594410a29x"]
)
def test_an_invalid_wallet_string_is_an_error(asaas: AsaasService, wallet: str) -> None:
    professional = ProfessionalFactory.create(asaas_wallet_id=wallet)

    assert professional_onboard(professional_id=professional.pk, asaas=asaas) is None

    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ERROR
    assert "walletId" in professional.integration_error
    assert not professional.is_chargeable


def test_incomplete_data_stays_pending_and_lists_what_is_missing(
    asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    professional = ProfessionalFactory.create(email="so.email@example.com", phone="47996321478")

    assert professional_onboard(professional_id=professional.pk, asaas=asaas) is None

    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.PENDING
    for missing in ("cpf_cnpj", "income_value", "address_number", "province", "postal_code"):
        assert missing in professional.integration_error
    for present in ("email", "phone"):
        assert f" {present}," not in professional.integration_error
    assert emulator_control.state()["counts"]["accounts"] == 1  # only the root account


def test_a_400_from_asaas_is_an_error_with_the_message_and_no_retry(
    asaas: AsaasService,
) -> None:
    professional = ProfessionalFactory.create(**subaccount_fields(phone="123"))

    error = professional_onboard(professional_id=professional.pk, asaas=asaas)

    assert error is None
    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ERROR
    assert "celular" in professional.integration_error.lower()
    assert professional.asaas_wallet_id == ""


def test_a_500_from_asaas_is_an_error_and_retryable(
    asaas: AsaasService, emulator_control: EmulatorControl
) -> None:
    professional = ProfessionalFactory.create(**subaccount_fields())
    emulator_control.faults(error_rate=1.0)

    error = professional_onboard(professional_id=professional.pk, asaas=asaas)

    assert error is not None
    assert error.retryable
    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ERROR
    assert professional.integration_error

    emulator_control.faults(error_rate=0.0)
    assert professional_onboard(professional_id=professional.pk, asaas=asaas) is None
    assert reloaded(professional).integration_status == IntegrationStatus.ACTIVE


def test_the_task_retries_a_server_error_until_it_succeeds(
    asaas_settings: Any, emulator_control: EmulatorControl
) -> None:
    professional = ProfessionalFactory.create(**subaccount_fields())
    emulator_control.faults(fail_next=1)  # the first POST /accounts answers 500

    professional_onboard_task.apply(args=(professional.pk,))

    professional = reloaded(professional)
    assert professional.integration_status == IntegrationStatus.ACTIVE
    assert len(emulator_control.state()["accounts"]) == 2


def test_updating_a_payment_field_of_an_errored_professional_makes_it_pending_again(
    staff_client: APIClient, asaas: AsaasService
) -> None:
    professional = ProfessionalFactory.create(**subaccount_fields(phone="123"))
    professional_onboard(professional_id=professional.pk, asaas=asaas)
    assert reloaded(professional).integration_status == IntegrationStatus.ERROR

    response = staff_client.patch(
        f"/api/professionals/{professional.pk}/", {"phone": "47996321478"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["integration_status"] == IntegrationStatus.PENDING
    assert response.json()["integration_error"] == ""
    professional_onboard(professional_id=professional.pk, asaas=asaas)
    assert reloaded(professional).integration_status == IntegrationStatus.ACTIVE


def test_a_non_payment_field_does_not_reset_an_errored_professional(
    staff_client: APIClient, asaas: AsaasService
) -> None:
    professional = ProfessionalFactory.create(asaas_wallet_id="bad-wallet")
    professional_onboard(professional_id=professional.pk, asaas=asaas)

    staff_client.patch(
        f"/api/professionals/{professional.pk}/", {"profession": "Nutricionista"}, format="json"
    )

    assert reloaded(professional).integration_status == IntegrationStatus.ERROR


def test_creating_a_professional_enqueues_the_onboarding_after_commit(
    staff_client: APIClient,
    asaas_settings: Any,
    emulator_control: EmulatorControl,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    fields = subaccount_fields()
    body = {
        "preferred_name": "Dra. Onboarding",
        "profession": "Psicóloga",
        "address": "Rua das Flores, 10",
        "contact": fields["email"],
        **{key: str(value) for key, value in fields.items()},
    }
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff_client.post("/api/professionals/", body, format="json")

    assert response.status_code == 201, response.content
    professional_id = response.json()["id"]
    onboarding = [
        c for c in callbacks if isinstance(c, partial) and c.func == professional_onboard_task.delay
    ]
    assert [c.args for c in onboarding] == [(professional_id,)]
    assert response.json()["integration_status"] == IntegrationStatus.PENDING

    # What the worker would run:
    professional_onboard_task.apply(args=(professional_id,))

    professional = Professional.objects.get(pk=professional_id)
    assert professional.integration_status == IntegrationStatus.ACTIVE
    assert professional.asaas_wallet_id in {
        a["walletId"] for a in emulator_control.state()["accounts"]
    }


def test_an_active_professional_enqueues_nothing(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    professional = ProfessionalFactory.create(
        integration_status=IntegrationStatus.ACTIVE, asaas_wallet_id=str(uuid.uuid4())
    )
    with django_capture_on_commit_callbacks() as callbacks:
        professional.save()

    assert not [
        c for c in callbacks if isinstance(c, partial) and c.func == professional_onboard_task.delay
    ]
