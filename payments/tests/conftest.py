"""Shared fixtures for the payments tests.

The only HTTP these tests make is to a real Asaas emulator (``payments.emulator``) started
in-process on an ephemeral port; services receive an ``AsaasService`` pointed at it, and the
views (which build their client from settings) see it through ``asaas_settings``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from validate_docbr import CPF

from appointments.models import Appointment, Patient
from appointments.services import appointment_create
from core.tests.factories import ProfessionalFactory
from payments.emulator import EmulatorConfig, EmulatorServer
from payments.services.asaas_service import AsaasService
from professionals.models import IntegrationStatus, Professional

PATIENT_NAME = "Zuleica Pacientíssima Sigilosa"
PATIENT_EMAIL = "zuleica.sigilosa@example.com"
PROFESSIONAL_PHONE = "47996321478"

_slots = itertools.count()
_FIRST_SLOT = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).replace(
    minute=0, second=0, microsecond=0
)


def next_slot() -> dt.datetime:
    """A future, whole-hour start that no other appointment made here uses."""
    return _FIRST_SLOT + next(_slots) * dt.timedelta(hours=1)


def new_cpf() -> str:
    cpf: str = CPF().generate()
    return cpf


class EmulatorControl:
    """The emulator's control API (``/_emulator/...``), over real HTTP."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["X-Emulator-Control-Token"] = server.control_token

    def _url(self, path: str) -> str:
        return f"{self.server.url}/_emulator/{path}"

    def faults(self, **switches: Any) -> dict[str, Any]:
        response = self.session.post(self._url("faults"), json=switches, timeout=5)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def reset(self) -> None:
        response = self.session.post(self._url("reset"), json={}, timeout=5)
        assert response.status_code == 200, response.text

    def state(self) -> dict[str, Any]:
        response = self.session.get(self._url("state"), timeout=5)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def payments(self, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.state()["payments"]
        return [p for p in found if include_deleted or not p.get("deleted")]

    def webhook_events(self, wait_idle: float = 2) -> list[dict[str, Any]]:
        response = self.session.get(
            self._url("webhooks"), params={"wait_idle": wait_idle}, timeout=wait_idle + 5
        )
        assert response.status_code == 200, response.text
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    # Refunds need balance at Asaas (fees are not returned): start the platform with some.
    config = EmulatorConfig(
        port=0, webhook_retry_scale=0.00001, opening_balance=Decimal("10000.00")
    )
    server = EmulatorServer(config).start(poll_interval=0.01)
    yield server
    server.stop()


@pytest.fixture
def emulator_control(emulator: EmulatorServer) -> Iterator[EmulatorControl]:
    control = EmulatorControl(emulator)
    yield control
    control.close()


def build_asaas(server: EmulatorServer, **options: Any) -> AsaasService:
    """A client for the emulator; GET retries do not sleep (the tests stay fast)."""
    options.setdefault("timeout", (2, 5))
    options.setdefault("sleep", lambda _seconds: None)
    return AsaasService(base_url=f"{server.url}/v3", api_key=server.api_key, **options)


@pytest.fixture
def asaas(emulator: EmulatorServer) -> Iterator[AsaasService]:
    client = build_asaas(emulator)
    yield client
    client.close()


@pytest.fixture
def asaas_settings(settings: Any, emulator: EmulatorServer) -> Any:
    """Point ``AsaasService.from_settings()`` (used by views and tasks) at the emulator."""
    settings.ASAAS_API_URL = f"{emulator.url}/v3"
    settings.ASAAS_API_KEY = emulator.api_key
    settings.ASAAS_TIMEOUT = 5
    return settings


def subaccount_fields(**overrides: Any) -> dict[str, Any]:
    """What a professional needs for the onboarding to create an Asaas subaccount."""
    fields: dict[str, Any] = {
        "email": f"prof-{uuid.uuid4().hex[:10]}@example.com",
        "phone": PROFESSIONAL_PHONE,
        "cpf_cnpj": new_cpf(),
        "income_value": Decimal("12000.00"),
        "address_number": "100",
        "province": "Centro",
        "postal_code": "89010000",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_professional(asaas: AsaasService) -> Callable[..., Professional]:
    """An ACTIVE professional whose wallet is a real subaccount of the emulator."""

    def make(**overrides: Any) -> Professional:
        fields = subaccount_fields()
        account = asaas.account_create(
            name="Dra. Carteira Emulada",
            email=fields["email"],
            cpf_cnpj=fields["cpf_cnpj"],
            mobile_phone=fields["phone"],
            income_value=fields["income_value"],
            address="Rua das Flores",
            address_number=fields["address_number"],
            province=fields["province"],
            postal_code=fields["postal_code"],
        )
        data = {
            **fields,
            "asaas_account_id": account.id,
            "asaas_wallet_id": account.wallet_id,
            "integration_status": IntegrationStatus.ACTIVE,
            **overrides,
        }
        return ProfessionalFactory.create(**data)

    return make


@pytest.fixture
def chargeable_professional(db: None) -> Professional:
    """ACTIVE with a well-formed wallet id; for tests that never reach Asaas."""
    return ProfessionalFactory.create(
        integration_status=IntegrationStatus.ACTIVE, asaas_wallet_id=str(uuid.uuid4())
    )


@pytest.fixture
def make_patient(db: None) -> Callable[..., Patient]:
    def make(**overrides: Any) -> Patient:
        data: dict[str, Any] = {
            "name": PATIENT_NAME,
            "cpf": new_cpf(),
            "email": PATIENT_EMAIL,
            "phone": "11987654321",
        }
        data.update(overrides)
        return Patient.objects.create(**data)

    return make


@pytest.fixture
def patient(make_patient: Callable[..., Patient]) -> Patient:
    return make_patient()


@pytest.fixture
def make_billed_appointment(db: None) -> Callable[..., Appointment]:
    """A billed (PENDING) appointment created through the appointments service."""

    def make(
        *, professional: Professional, patient: Patient, total: str = "100.00", **extra: Any
    ) -> Appointment:
        return appointment_create(
            professional=professional,
            patient=patient,
            date=extra.pop("date", None) or next_slot(),
            total_amount=Decimal(total),
            **extra,
        )

    return make


@dataclass
class ChargeWorld:
    professional: Professional
    patient: Patient
    appointment: Appointment


@pytest.fixture
def billed(
    make_professional: Callable[..., Professional],
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> ChargeWorld:
    professional = make_professional()
    appointment = make_billed_appointment(professional=professional, patient=patient)
    return ChargeWorld(professional=professional, patient=patient, appointment=appointment)


@pytest.fixture
def staff_user(db: None) -> Any:
    return get_user_model().objects.create_superuser(
        username="operadora", email="operadora@example.com", password="s3nha-forte-teste"
    )


@pytest.fixture
def staff_client(staff_user: Any) -> APIClient:
    """An API client authenticated as staff (allowed everywhere, with or without auth rules)."""
    client = APIClient()
    client.force_authenticate(user=staff_user)
    return client


@pytest.fixture(autouse=True)
def _retry_now(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests call the charge service again right after a failure, as if the backoff had
    elapsed; tests marked ``real_backoff`` keep the real delays."""
    if request.node.get_closest_marker("real_backoff") is None:
        monkeypatch.setattr("payments.services.charges.retry_delay", lambda **kwargs: 0)


def charged(world: ChargeWorld, asaas: AsaasService) -> Appointment:
    """The world's appointment with its charge created at the emulator (PROCESSING)."""
    from payments.services.charges import charge_submit

    charge_submit(appointment_id=world.appointment.pk, asaas=asaas)
    appointment = Appointment.objects.get(pk=world.appointment.pk)
    assert appointment.status == "PROCESSING"
    return appointment


def paid(world: ChargeWorld, asaas: AsaasService, client: APIClient) -> Appointment:
    """Charged, confirmed at the emulator and read back through ``payment_status?refresh``."""
    appointment = charged(world, asaas)
    assert appointment.asaas_payment_id is not None
    asaas.sandbox_payment_confirm(appointment.asaas_payment_id)
    response = client.get(
        f"/api/appointments/{appointment.pk}/payment_status/", {"refresh": "true"}
    )
    assert response.json()["status"] == "PAID"
    return Appointment.objects.get(pk=appointment.pk)


@pytest.fixture
def appointment(
    chargeable_professional: Professional,
    patient: Patient,
    make_billed_appointment: Callable[..., Appointment],
) -> Appointment:
    """A billed appointment of a professional who can be charged (the webhook tests')."""
    return make_billed_appointment(professional=chargeable_professional, patient=patient)
