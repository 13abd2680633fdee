"""Appointment list filters, ordering and their error answers; constant query count."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

LIST_URL = "/api/appointments/"
SP = ZoneInfo("America/Sao_Paulo")


def local(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SP)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def get(client: APIClient, params: dict[str, str] | str) -> Any:
    if isinstance(params, str):  # a raw query string, sent as written
        return client.get(f"{LIST_URL}?{params}")
    return client.get(LIST_URL, params)


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create()


@pytest.fixture
def day(professional: Professional) -> dict[str, Appointment]:
    """Appointments around the local day 2030-07-15 (UTC-3, no daylight saving)."""

    def at(when: dt.datetime) -> Appointment:
        return AppointmentFactory.create(professional=professional, date=when)

    return {
        "before": at(local(2030, 7, 14, 23, 0)),  # 02:00 UTC on the 15th
        "midnight": at(local(2030, 7, 15, 0, 0)),
        "afternoon": at(local(2030, 7, 15, 14, 30)),
        "late": at(local(2030, 7, 15, 23, 30)),  # 02:30 UTC on the 16th
        "after": at(local(2030, 7, 16, 0, 30)),  # 03:30 UTC on the 16th
    }


# --- ?professional= ------------------------------------------------------------------------


def test_filter_by_professional(api_client: APIClient) -> None:
    mine = AppointmentFactory.create_batch(3)
    other = AppointmentFactory.create()
    for appointment in mine[1:]:
        appointment.professional = mine[0].professional
        appointment.save()

    response = get(api_client, {"professional": str(mine[0].professional_id)})

    assert sorted(ids(response)) == sorted(a.pk for a in mine)
    assert other.pk not in ids(response)


def test_filter_by_professional_without_appointments(api_client: APIClient) -> None:
    AppointmentFactory.create()
    idle = ProfessionalFactory.create()

    assert ids(get(api_client, {"professional": str(idle.pk)})) == []


# --- ?date= ------------------------------------------------------------------------------


def test_date_only_is_the_whole_local_day(
    api_client: APIClient, day: dict[str, Appointment]
) -> None:
    response = get(api_client, {"date": "2030-07-15"})

    assert set(ids(response)) == {day["midnight"].pk, day["afternoon"].pk, day["late"].pk}


def test_date_only_next_day(api_client: APIClient, day: dict[str, Appointment]) -> None:
    assert ids(get(api_client, {"date": "2030-07-16"})) == [day["after"].pk]
    assert ids(get(api_client, {"date": "2030-07-14"})) == [day["before"].pk]


@pytest.mark.parametrize(
    "query",
    [
        "date=2030-07-15T17:30:00Z",
        "date=2030-07-15T14:30:00-03:00",
        "date=2030-07-15T17:30:00%2B00:00",  # "+" escaped
        "date=2030-07-15T17:30:00+00:00",  # "+" unescaped: arrives as a space
        "date=2030-07-15T14:30:00",  # naive: São Paulo time
        "date=2030-07-15T14:30",
        "date=2030-07-15 14:30:00",
    ],
)
def test_full_datetime_is_the_exact_instant(
    api_client: APIClient, day: dict[str, Appointment], query: str
) -> None:
    assert ids(get(api_client, query)) == [day["afternoon"].pk]


def test_full_datetime_matching_nothing(api_client: APIClient, day: dict[str, Appointment]) -> None:
    assert ids(get(api_client, {"date": "2030-07-15T14:31:00-03:00"})) == []


def test_date_and_professional_combine(api_client: APIClient, day: dict[str, Appointment]) -> None:
    same_time = AppointmentFactory.create(date=day["afternoon"].date)
    assert same_time.professional_id != day["afternoon"].professional_id

    both = get(api_client, {"date": "2030-07-15"})
    only_one = get(
        api_client, {"date": "2030-07-15", "professional": str(same_time.professional_id)}
    )

    assert same_time.pk in ids(both)
    assert ids(only_one) == [same_time.pk]


# --- ?date_start= / ?date_end= and aliases -------------------------------------------------


@pytest.mark.parametrize(("start", "end"), [("date_start", "date_end"), ("start_date", "end_date")])
def test_date_range_with_days(
    api_client: APIClient, day: dict[str, Appointment], start: str, end: str
) -> None:
    from_day = get(api_client, {start: "2030-07-15"})
    until_day = get(api_client, {end: "2030-07-15"})
    within = get(api_client, {start: "2030-07-15", end: "2030-07-15"})

    assert set(ids(from_day)) == {
        day["midnight"].pk,
        day["afternoon"].pk,
        day["late"].pk,
        day["after"].pk,
    }
    # A date-only end includes its whole (local) day, 23:30 too.
    assert set(ids(until_day)) == {
        day["before"].pk,
        day["midnight"].pk,
        day["afternoon"].pk,
        day["late"].pk,
    }
    assert set(ids(within)) == {day["midnight"].pk, day["afternoon"].pk, day["late"].pk}


@pytest.mark.parametrize(("start", "end"), [("date_start", "date_end"), ("start_date", "end_date")])
def test_date_range_with_instants_is_inclusive(
    api_client: APIClient, day: dict[str, Appointment], start: str, end: str
) -> None:
    response = get(api_client, {start: "2030-07-15T00:00:00-03:00", end: "2030-07-15T17:30:00Z"})

    assert set(ids(response)) == {day["midnight"].pk, day["afternoon"].pk}


def test_date_start_after_date_end_is_empty(
    api_client: APIClient, day: dict[str, Appointment]
) -> None:
    assert ids(get(api_client, {"date_start": "2030-07-16", "date_end": "2030-07-14"})) == []


def test_naive_range_bounds_are_local_time(
    api_client: APIClient, day: dict[str, Appointment]
) -> None:
    response = get(api_client, {"date_start": "2030-07-15T23:00:00"})

    assert set(ids(response)) == {day["late"].pk, day["after"].pk}


# --- ?ordering= ----------------------------------------------------------------------------


def test_ordering_by_date_and_created_at(api_client: APIClient) -> None:
    # Created in an order different from their dates.
    middle = AppointmentFactory.create()
    last = AppointmentFactory.create(date=middle.date + dt.timedelta(days=2))
    first = AppointmentFactory.create(date=middle.date - dt.timedelta(days=2))
    base = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    for offset, appointment in enumerate([last, first, middle]):
        Appointment.objects.filter(pk=appointment.pk).update(
            created_at=base + dt.timedelta(minutes=offset)
        )

    assert ids(get(api_client, {"ordering": "date"})) == [first.pk, middle.pk, last.pk]
    assert ids(get(api_client, {"ordering": "-date"})) == [last.pk, middle.pk, first.pk]
    assert ids(get(api_client, {"ordering": "created_at"})) == [last.pk, first.pk, middle.pk]
    assert ids(get(api_client, {"ordering": "-created_at"})) == [middle.pk, first.pk, last.pk]


# --- invalid values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"date": "xx"}, "date"),
        ({"date": "2030-13-01"}, "date"),
        ({"date": "2030-07-15T25:00:00"}, "date"),
        ({"date_start": "2025-13-01"}, "date_start"),
        ({"date_end": "ontem"}, "date_end"),
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"end_date": "15/07/2030"}, "end_date"),
        ({"professional": "abc"}, "professional"),
        ({"professional": "0"}, "professional"),
        ({"professional": "-3"}, "professional"),
        ({"professional": "99999999999999999999999"}, "professional"),
        ({"ordering": "foo"}, "ordering"),
        ({"ordering": "duration_minutes"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "abc"}, "page_size"),
    ],
)
def test_invalid_filter_values_are_400_naming_the_parameter(
    api_client: APIClient, params: dict[str, str], name: str
) -> None:
    AppointmentFactory.create()

    response = get(api_client, params)

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == [name]
    assert isinstance(body[name], list)
    assert body[name][0]


def test_several_invalid_parameters_are_all_named(api_client: APIClient) -> None:
    response = get(api_client, {"date": "xx", "professional": "abc", "date_end": "?"})

    assert response.status_code == 400
    assert set(response.json()) == {"date", "professional", "date_end"}


def test_date_error_message_is_portuguese(api_client: APIClient) -> None:
    response = get(api_client, {"date": "xx"})

    assert "AAAA-MM-DD" in response.json()["date"][0]


def test_empty_filter_values_are_refused_by_name(api_client: APIClient) -> None:
    """The schema declares a pattern (dates) or an integer (professional): an empty value
    is invalid like any other, not a silent "no filter"; an empty ordering means none."""
    appointment = AppointmentFactory.create()

    response = get(api_client, {"date": "", "professional": "", "date_start": "", "ordering": ""})
    ordering_only = get(api_client, {"ordering": ""})

    assert response.status_code == 400
    assert set(response.json()) == {"date", "professional", "date_start"}
    assert ids(ordering_only) == [appointment.pk]


# --- queries ------------------------------------------------------------------------------

# Page count + page rows (professional and patient joined in) + one INSERT of the read-access
# log for the whole page (+ the content-type lookup, cached after the first request).
# The bound does not depend on the page size.
MAX_LIST_QUERIES = 4


@pytest.mark.parametrize(("rows", "page_size"), [(5, None), (100, "100")])
def test_list_runs_a_constant_number_of_queries(
    api_client: APIClient, django_assert_max_num_queries, rows: int, page_size: str | None
) -> None:
    # Each appointment with its own professional: a missing join would cost one query per row.
    AppointmentFactory.create_batch(rows)
    params = {"page_size": page_size} if page_size else {}

    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = get(api_client, params)

    assert len(ids(response)) == rows
    assert all(item["professional_data"]["preferred_name"] for item in response.json()["results"])


def test_filtered_list_query_count_does_not_grow(api_client: APIClient) -> None:
    AppointmentFactory.create_batch(60)
    params = {"date_start": "2000-01-01", "ordering": "-date"}

    with CaptureQueriesContext(connection) as small:
        get(api_client, {**params, "page_size": "5"})
    with CaptureQueriesContext(connection) as large:
        get(api_client, {**params, "page_size": "60"})

    assert len(small.captured_queries) == len(large.captured_queries)
