"""The filter backend builds no FilterSet for a request that asks for no filter, and the
answers are the same as with django-filter's own backend."""

from __future__ import annotations

from typing import Any

import pytest
from django_filters import FilterSet
from rest_framework.test import APIClient

from appointments.filters import AppointmentFilter
from core.api.filtering import asks_for_a_filter
from core.tests.access_fixtures import make_user
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, False),
        ({"page": "2"}, False),
        ({"page_size": "5", "format": "json"}, False),
        ({"professional": "3"}, True),
        ({"start_date": "2025-01-01"}, True),
        ({"ordering": "-date"}, True),
        ({"booking_status": ""}, True),  # present, even empty: django-filter decides
    ],
)
def test_which_query_strings_ask_for_a_filter(query: dict[str, str], expected: bool) -> None:
    assert asks_for_a_filter(query, AppointmentFilter) is expected


@pytest.fixture
def built(monkeypatch: Any) -> list[type]:
    seen: list[type] = []
    original = FilterSet.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        seen.append(type(self))
        original(self, *args, **kwargs)

    monkeypatch.setattr(FilterSet, "__init__", spy)
    return seen


def test_reads_without_filters_build_no_filterset_and_filters_still_apply(
    built: list[type],
) -> None:
    client = APIClient()
    client.force_authenticate(make_user("filtros", is_staff=True))
    mine, other = ProfessionalFactory.create(), ProfessionalFactory.create()
    appointment = AppointmentFactory.create(professional=mine)
    AppointmentFactory.create(professional=other)

    assert client.get("/api/appointments/").json()["count"] == 2
    assert client.get(f"/api/appointments/{appointment.pk}/").json()["id"] == appointment.pk
    assert client.get("/api/appointments/?page=1").status_code == 200
    assert built == []

    filtered = client.get(f"/api/appointments/?professional={mine.pk}").json()
    assert [row["id"] for row in filtered["results"]] == [appointment.pk]
    assert built == [AppointmentFilter]
    # A detail read with a filter that excludes it is still "not found", as before.
    excluded = f"/api/appointments/{appointment.pk}/?professional={other.pk}"
    assert client.get(excluded).status_code == 404
    bad = client.get("/api/appointments/?professional=abc")
    assert bad.status_code == 400


def test_a_bound_filterset_copies_only_the_filters_its_query_names() -> None:
    from django.http import QueryDict

    from appointments.models import Appointment

    everything = set(AppointmentFilter.base_filters)
    named = AppointmentFilter(QueryDict("professional=1&page=2"), Appointment.objects.all())
    assert set(named.filters) == {"professional"}
    assert set(named.form.fields) == {"professional"}
    assert set(AppointmentFilter.base_filters) == everything  # the class keeps them all

    wrong = AppointmentFilter(QueryDict("start_date=ontem"), Appointment.objects.all())
    assert not wrong.is_valid()
    assert set(wrong.errors) == {"start_date"}
    unbound = AppointmentFilter(None, Appointment.objects.all())
    assert set(unbound.filters) == everything
