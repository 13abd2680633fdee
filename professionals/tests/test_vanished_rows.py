"""An update that loses the race against a DELETE is a 404, never a 500 or a resurrection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import appointment_update
from core.exceptions import NotFoundError
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional
from professionals.services import professional_update

pytestmark = pytest.mark.django_db


def test_updating_a_deleted_professional_is_not_found() -> None:
    professional = ProfessionalFactory.create()
    Professional.objects.filter(pk=professional.pk).delete()

    with pytest.raises(NotFoundError):
        professional_update(professional=professional, data={"profession": "Outra"})

    assert not Professional.objects.filter(pk=professional.pk).exists()


def test_updating_a_deleted_appointment_does_not_bring_it_back() -> None:
    appointment = AppointmentFactory.create()
    Appointment.objects.filter(pk=appointment.pk).delete()

    with pytest.raises(NotFoundError):
        appointment_update(
            appointment=appointment,
            data={"date": timezone.now() + dt.timedelta(days=90)},
        )

    assert not Appointment.objects.filter(pk=appointment.pk).exists()


def test_the_api_answers_404_for_the_lost_race(api_client, monkeypatch) -> None:
    professional = ProfessionalFactory.create()
    real_update = professional_update

    def delete_first(*, professional: Professional, data: dict[str, object]) -> Professional:
        Professional.objects.filter(pk=professional.pk).delete()  # the other request wins
        return real_update(professional=professional, data=data)

    monkeypatch.setattr("professionals.services.professional_update", delete_first)
    response = api_client.patch(
        f"/api/professionals/{professional.pk}/", {"profession": "Outra"}, format="json"
    )

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
