"""The Django admin for professionals and appointments, as a superuser."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.forms import MultiWidget
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PROFESSIONALS = reverse("admin:professionals_professional_changelist")
APPOINTMENTS = reverse("admin:appointments_appointment_changelist")


def test_professional_changelist_search_and_filter(admin_client: Client) -> None:
    ana = ProfessionalFactory.create(preferred_name="Dra. Ana Silva", profession="Psicóloga")
    bruno = ProfessionalFactory.create(preferred_name="Dr. Bruno Lima", profession="Psiquiatra")

    listing = admin_client.get(PROFESSIONALS)
    search = admin_client.get(PROFESSIONALS, {"q": "ana silva"})
    filtered = admin_client.get(PROFESSIONALS, {"profession": "Psiquiatra"})

    assert listing.status_code == search.status_code == filtered.status_code == 200
    assert list(listing.context["cl"].result_list) == [bruno, ana]  # ordered by name
    assert list(search.context["cl"].result_list) == [ana]
    assert list(filtered.context["cl"].result_list) == [bruno]


def test_professional_add_and_change_pages(admin_client: Client) -> None:
    professional = ProfessionalFactory.create()

    add = admin_client.get(reverse("admin:professionals_professional_add"))
    change = admin_client.get(
        reverse("admin:professionals_professional_change", args=[professional.pk])
    )

    assert add.status_code == 200
    assert change.status_code == 200
    assert professional.preferred_name in change.content.decode()


def initial_form_data(client: Client, url: str) -> dict[str, str]:
    """What a browser would post for an untouched add form (defaults of every field)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, str] = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False or value == "":
            continue
        if isinstance(bound.field.widget, MultiWidget):
            continue
        data[bound.html_name] = "on" if value is True else str(value)
    return data


def test_professional_add_validates_contact(admin_client: Client) -> None:
    url = reverse("admin:professionals_professional_add")
    data = {
        **initial_form_data(admin_client, url),
        "preferred_name": "Dra. Ana Silva",
        "profession": "Psicóloga",
        "address": "Rua das Flores, 123",
        "contact": "nada aqui",
    }

    refused = admin_client.post(url, data)
    accepted = admin_client.post(url, {**data, "contact": "(11) 98765-4321"})

    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["contact"]
    assert accepted.status_code == 302
    assert Professional.objects.filter(contact="(11) 98765-4321").count() == 1


def test_appointment_changelist_search_and_filter(admin_client: Client) -> None:
    ana = ProfessionalFactory.create(preferred_name="Dra. Ana Silva", profession="Psicóloga")
    mine = AppointmentFactory.create(professional=ana)
    other = AppointmentFactory.create(professional__profession="Nutricionista")

    listing = admin_client.get(APPOINTMENTS)
    search = admin_client.get(APPOINTMENTS, {"q": "Ana Silva"})
    filtered = admin_client.get(APPOINTMENTS, {"professional__profession": "Psicóloga"})

    assert listing.status_code == search.status_code == filtered.status_code == 200
    assert set(listing.context["cl"].result_list) == {mine, other}
    assert list(search.context["cl"].result_list) == [mine]
    assert list(filtered.context["cl"].result_list) == [mine]


def test_appointment_date_hierarchy(admin_client: Client) -> None:
    appointment = AppointmentFactory.create()
    local = appointment.date.astimezone(SAO_PAULO)

    response = admin_client.get(
        APPOINTMENTS, {"date__year": str(local.year), "date__month": str(local.month)}
    )

    assert response.status_code == 200
    assert appointment in response.context["cl"].result_list


def count_changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(APPOINTMENTS)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_appointment_changelist_runs_a_bounded_number_of_queries(
    admin_client: Client, django_assert_max_num_queries
) -> None:
    # Every appointment with its own professional: without list_select_related each row
    # would cost a query.
    AppointmentFactory.create_batch(3)
    few = count_changelist_queries(admin_client)
    AppointmentFactory.create_batch(40)

    with django_assert_max_num_queries(few):
        response = admin_client.get(APPOINTMENTS)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 43


def test_appointment_add_and_change_pages(admin_client: Client) -> None:
    appointment = AppointmentFactory.create()

    add = admin_client.get(reverse("admin:appointments_appointment_add"))
    change = admin_client.get(
        reverse("admin:appointments_appointment_change", args=[appointment.pk])
    )

    assert add.status_code == 200
    assert change.status_code == 200
    # The professional is picked with an autocomplete widget, not a full <select>.
    assert "admin-autocomplete" in add.content.decode()


def test_appointment_add_refuses_an_overlap(admin_client: Client) -> None:
    existing = AppointmentFactory.create()
    local = existing.date.astimezone(SAO_PAULO)
    later = local + dt.timedelta(hours=1)
    url = reverse("admin:appointments_appointment_add")
    data = {
        **initial_form_data(admin_client, url),
        "date_0": local.strftime("%d/%m/%Y"),
        "date_1": (local + dt.timedelta(minutes=10)).strftime("%H:%M:%S"),
        "duration_minutes": "30",
        "professional": str(existing.professional_id),
    }

    refused = admin_client.post(url, data)
    accepted = admin_client.post(
        url, {**data, "date_0": later.strftime("%d/%m/%Y"), "date_1": later.strftime("%H:%M:%S")}
    )

    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["date"]
    assert accepted.status_code == 302
    assert Appointment.objects.filter(professional=existing.professional).count() == 2


def test_autocomplete_for_professional(admin_client: Client) -> None:
    ana = ProfessionalFactory.create(preferred_name="Dra. Ana Silva")
    ProfessionalFactory.create(preferred_name="Dr. Bruno Lima")

    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "appointments",
            "model_name": "appointment",
            "field_name": "professional",
            "term": "ana",
        },
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["id"] for result in results] == [str(ana.pk)]
    assert "Dra. Ana Silva" in results[0]["text"]


def test_admin_requires_staff(client: Client) -> None:
    response = client.get(APPOINTMENTS)

    assert response.status_code == 302
    assert "/login/" in response["Location"]
