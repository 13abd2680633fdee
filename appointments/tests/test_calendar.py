"""The ICS feed (secret, revocable URL, no login) and the single-appointment download,
checked with the icalendar parser."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.lifecycle import booking_transition
from appointments.models import Appointment, BookingStatus, Patient
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import CalendarFeed, Professional

pytestmark = pytest.mark.django_db

CPF = "52998224725"
NAME = "Joana Paciente Reservada"


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create(preferred_name="Dra. Agenda")


@pytest.fixture
def appointment(professional: Professional) -> Appointment:
    patient = Patient.objects.create(name=NAME, cpf=CPF, email="joana@example.com")
    start = timezone.localtime(timezone.now() + dt.timedelta(days=10)).replace(
        hour=14, minute=0, second=0, microsecond=0
    )
    return AppointmentFactory.create(professional=professional, patient=patient, date=start)


def publish(client: APIClient, professional: Professional, **body: Any) -> str:
    response = client.post(
        f"/api/professionals/{professional.pk}/calendar_feed/", body, format="json"
    )
    assert response.status_code == 201, response.content
    url: str = response.json()["url"]
    assert url.startswith("http://testserver/api/calendar/")
    assert url.endswith(".ics")
    return url.removeprefix("http://testserver")


def events(body: bytes) -> list[Any]:
    calendar = icalendar.Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def test_feed_is_valid_ics_in_local_time_without_cpf(
    api_client: APIClient, anon_client: APIClient, appointment: Appointment
) -> None:
    path = publish(api_client, appointment.professional)

    response = anon_client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert calendar["PRODID"]
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["America/Sao_Paulo"]
    [event] = events(response.content)
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "America/Sao_Paulo"
    assert start == appointment.date
    assert start.astimezone(ZoneInfo("America/Sao_Paulo")).hour == 14
    assert event.decoded("DTEND") == appointment.end
    assert str(event["UID"]) == f"appointment-{appointment.pk}@medical-api"
    assert str(event["SUMMARY"]) == "Consulta"
    assert str(event["STATUS"]) == "TENTATIVE"
    text = response.content.decode()
    assert CPF not in text
    assert "529.982.247-25" not in text
    assert NAME not in text


def test_patient_name_only_when_the_professional_opts_in(
    api_client: APIClient, anon_client: APIClient, appointment: Appointment
) -> None:
    path = publish(api_client, appointment.professional, include_patient_name=True)

    [event] = events(anon_client.get(path).content)

    assert str(event["SUMMARY"]) == f"Consulta: {NAME}"
    api_client.patch(
        f"/api/professionals/{appointment.professional_id}/calendar_feed/",
        {"include_patient_name": False},
        format="json",
    )
    [event] = events(anon_client.get(path).content)
    assert NAME not in str(event["SUMMARY"])


def test_cancelled_and_other_professionals_appointments_are_left_out(
    api_client: APIClient, anon_client: APIClient, appointment: Appointment
) -> None:
    kept = AppointmentFactory.create(professional=appointment.professional)
    AppointmentFactory.create()  # someone else's
    booking_transition(appointment_id=appointment.pk, target=BookingStatus.CANCELLED_BY_PATIENT)
    path = publish(api_client, appointment.professional)

    found = events(anon_client.get(path).content)

    assert [str(event["UID"]) for event in found] == [f"appointment-{kept.pk}@medical-api"]


def test_rotating_and_revoking_kill_the_old_url(
    api_client: APIClient, anon_client: APIClient, professional: Professional
) -> None:
    feed_url = f"/api/professionals/{professional.pk}/calendar_feed/"
    first = publish(api_client, professional)
    second = publish(api_client, professional)

    shown = api_client.get(feed_url)
    old = anon_client.get(first)
    new = anon_client.get(second)
    revoked = api_client.delete(feed_url)
    after = anon_client.get(second)

    assert first != second
    assert shown.json()["url"] is None  # shown only once
    assert old.status_code == 404
    assert new.status_code == 200
    assert revoked.status_code == 204
    assert after.status_code == 404
    assert api_client.get(feed_url).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_token_is_stored_only_as_a_hash(
    api_client: APIClient, professional: Professional
) -> None:
    path = publish(api_client, professional)
    token = path.removeprefix("/api/calendar/").removesuffix(".ics")

    feed = CalendarFeed.objects.get()

    assert len(token) >= 40
    assert token not in feed.token_hash
    assert len(feed.token_hash) == 64


def test_a_professional_publishes_only_their_own_feed(professional: Professional) -> None:
    user = get_user_model().objects.create_user(username="outra", password="x-Senha-123")
    ProfessionalFactory.create(user=user)
    client = APIClient()
    client.force_authenticate(user=user)

    response = client.post(
        f"/api/professionals/{professional.pk}/calendar_feed/", {}, format="json"
    )

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_single_appointment_download(api_client: APIClient, appointment: Appointment) -> None:
    response = api_client.get(f"/api/appointments/{appointment.pk}/ics/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="consulta-{appointment.pk}.ics"'
    )
    [event] = events(response.content)
    assert event.decoded("DTSTART") == appointment.date
    assert CPF not in response.content.decode()


def test_single_download_of_a_cancelled_appointment_says_cancelled(
    api_client: APIClient, appointment: Appointment
) -> None:
    booking_transition(
        appointment_id=appointment.pk, target=BookingStatus.CANCELLED_BY_PROFESSIONAL
    )

    [event] = events(api_client.get(f"/api/appointments/{appointment.pk}/ics/").content)

    assert str(event["STATUS"]) == "CANCELLED"


def test_historical_dst_dates_keep_their_offset(
    api_client: APIClient, anon_client: APIClient, professional: Professional, settings: Any
) -> None:
    start = dt.datetime(2018, 12, 10, 9, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))  # -02:00
    old = AppointmentFactory.create(professional=professional, date=start)

    [event] = events(api_client.get(f"/api/appointments/{old.pk}/ics/").content)

    assert event.decoded("DTSTART").astimezone(dt.UTC).hour == 11


@pytest.mark.parametrize("value", ["", "xml"])
def test_the_format_parameter_is_ics_or_json(
    api_client: APIClient, appointment: Appointment, value: str
) -> None:
    response = api_client.get(f"/api/appointments/{appointment.pk}/ics/", {"format": value})

    assert response.status_code in {400, 404}
    assert response.status_code == 400 or value != ""  # an empty value is not "no value"
    if response.status_code == 400:
        assert "format" in response.json()


def test_an_empty_form_field_is_not_a_boolean(
    api_client: APIClient, professional: Professional
) -> None:
    response = api_client.post(
        f"/api/professionals/{professional.pk}/calendar_feed/",
        {"include_patient_name": ""},
        format="multipart",
    )

    assert response.status_code == 400
    assert "include_patient_name" in response.json()
    assert not CalendarFeed.objects.filter(professional=professional).exists()
