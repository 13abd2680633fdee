"""Free-slot search: rules − exceptions − appointments, DST, bounds, queries, booking in hours."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from appointments import services
from appointments.lifecycle import booking_transition
from appointments.models import Appointment, BookingStatus, PaymentStatus
from core.exceptions import BusinessRuleError
from core.tests.factories import ProfessionalFactory
from professionals.models import Professional, ScheduleException, WorkingHoursRule

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
MONDAY = dt.date(2030, 1, 7)  # a Monday, far from any DST (Brazil has none since 2019)


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SP)


def rule(professional: Professional, **fields: Any) -> WorkingHoursRule:
    data: dict[str, Any] = {
        "weekday": 0,
        "start_time": dt.time(8),
        "end_time": dt.time(12),
        "slot_minutes": 60,
    }
    data.update(fields)
    return WorkingHoursRule.objects.create(professional=professional, **data)


def availability(client: APIClient, professional: Professional, **query: Any) -> Any:
    return client.get(f"/api/professionals/{professional.pk}/availability/", query)


def starts(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [slot["start"] for slot in response.json()["slots"]]


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create(preferred_name="Dra. Ana Horários", profession="Psicóloga")


def test_slots_follow_the_rule_and_its_break(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional, end_time=dt.time(13), breaks=[{"start": "10:00", "end": "11:00"}])

    response = availability(api_client, professional, start=str(MONDAY), end=str(MONDAY))

    assert starts(response) == [
        "2030-01-07T08:00:00-03:00",
        "2030-01-07T09:00:00-03:00",
        "2030-01-07T11:00:00-03:00",
        "2030-01-07T12:00:00-03:00",
    ]
    body = response.json()
    assert body["has_working_hours"] is True
    assert body["time_zone"] == "America/Sao_Paulo"
    assert body["slots"][0]["end"] == "2030-01-07T09:00:00-03:00"


def test_appointments_take_their_slot_and_cancelled_ones_give_it_back(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional)
    taken = services.appointment_create(professional=professional, date=at(MONDAY, "09:00"))
    cancelled = services.appointment_create(professional=professional, date=at(MONDAY, "10:00"))
    Appointment.objects.filter(pk=cancelled.pk).update(status=PaymentStatus.CANCELED)
    withdrawn = services.appointment_create(professional=professional, date=at(MONDAY, "11:00"))
    booking_transition(appointment_id=withdrawn.pk, target=BookingStatus.CANCELLED_BY_PATIENT)

    response = availability(api_client, professional, start=str(MONDAY), end=str(MONDAY))

    assert taken.pk
    assert starts(response) == [
        "2030-01-07T08:00:00-03:00",
        "2030-01-07T10:00:00-03:00",
        "2030-01-07T11:00:00-03:00",
    ]


def test_a_partial_overlap_blocks_the_slot_and_duration_is_honoured(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional, slot_minutes=30)
    services.appointment_create(professional=professional, date=at(MONDAY, "09:15"))

    response = availability(
        api_client, professional, start=str(MONDAY), end=str(MONDAY), duration=60
    )

    # 60-minute slots every 30 minutes, not touching 09:15-09:45, inside 08:00-12:00.
    assert starts(response) == [
        "2030-01-07T08:00:00-03:00",
        "2030-01-07T10:00:00-03:00",
        "2030-01-07T10:30:00-03:00",
        "2030-01-07T11:00:00-03:00",
    ]


def test_exceptions_day_off_partial_holiday_and_extra_hours(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional)  # Mondays 08-12
    tuesday = MONDAY + dt.timedelta(days=1)
    next_monday = MONDAY + dt.timedelta(days=7)
    ScheduleException.objects.create(professional=professional, date=MONDAY, kind="DAY_OFF")
    ScheduleException.objects.create(
        professional=professional,
        date=next_monday,
        kind="DAY_OFF",
        start_time=dt.time(8),
        end_time=dt.time(10),
    )
    ScheduleException.objects.create(
        professional=professional,
        date=tuesday,
        kind="EXTRA_HOURS",
        start_time=dt.time(14),
        end_time=dt.time(16),
        slot_minutes=60,
    )
    other = ProfessionalFactory.create()
    ScheduleException.objects.create(professional=other, date=next_monday, kind="DAY_OFF")

    response = availability(api_client, professional, start=str(MONDAY), end=str(next_monday))

    assert starts(response) == [
        "2030-01-08T14:00:00-03:00",
        "2030-01-08T15:00:00-03:00",
        "2030-01-14T10:00:00-03:00",
        "2030-01-14T11:00:00-03:00",
    ]


def test_national_holidays_close_the_day_for_everyone(
    api_client: APIClient, professional: Professional
) -> None:
    from django.core.management import call_command

    rule(professional, weekday=1)  # Tuesdays; 2030-01-01 is a Tuesday
    call_command("load_holidays", "--years", "2030", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_holidays", "--years", "2030", stdout=open("/dev/null", "w"))  # noqa: SIM115

    new_year = availability(api_client, professional, start="2030-01-01", end="2030-01-01")
    next_week = availability(api_client, professional, start="2030-01-08", end="2030-01-08")

    assert starts(new_year) == []
    assert len(starts(next_week)) == 4
    holiday = ScheduleException.objects.get(professional=None, date=dt.date(2030, 1, 1))
    assert holiday.kind == "HOLIDAY"
    assert holiday.description == "Confraternização Universal"
    assert ScheduleException.objects.filter(professional=None, date__year=2030).count() >= 9


def test_validity_dates_bound_the_rule(api_client: APIClient, professional: Professional) -> None:
    rule(professional, valid_from=MONDAY + dt.timedelta(days=7))

    early = availability(api_client, professional, start=str(MONDAY), end=str(MONDAY))
    later = availability(
        api_client, professional, start=str(MONDAY + dt.timedelta(days=7)), end="2030-01-14"
    )

    assert starts(early) == []
    assert len(starts(later)) == 4


@pytest.mark.parametrize(
    ("day", "first_slot_utc"),
    [
        # Brazil's last DST: clocks went 00:00 → 01:00 on 2018-11-04 and back on 2019-02-17.
        (dt.date(2018, 11, 5), "2018-11-05T10:00:00+00:00"),  # summer time, -02:00
        (dt.date(2018, 10, 29), "2018-10-29T11:00:00+00:00"),  # standard time, -03:00
        (dt.date(2019, 2, 18), "2019-02-18T11:00:00+00:00"),  # back to -03:00
    ],
)
def test_slots_stay_at_local_wall_time_across_dst(
    api_client: APIClient, professional: Professional, day: dt.date, first_slot_utc: str
) -> None:
    rule(professional, weekday=day.weekday())

    slots = starts(availability(api_client, professional, start=str(day), end=str(day)))

    assert slots[0].startswith(f"{day}T08:00:00")
    first = dt.datetime.fromisoformat(slots[0]).astimezone(dt.UTC)
    assert first.isoformat() == first_slot_utc


def test_a_wall_time_skipped_by_dst_moves_forward(
    api_client: APIClient, professional: Professional
) -> None:
    # 2018-11-04 (Sunday): 00:00-00:59 did not exist in São Paulo.
    rule(professional, weekday=6, start_time=dt.time(0), end_time=dt.time(3))

    slots = starts(availability(api_client, professional, start="2018-11-04", end="2018-11-04"))

    assert slots == ["2018-11-04T01:00:00-02:00", "2018-11-04T02:00:00-02:00"]


def test_a_window_longer_than_31_days_is_refused(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional)

    too_long = availability(api_client, professional, start="2030-01-01", end="2030-02-01")
    backwards = availability(api_client, professional, start="2030-01-05", end="2030-01-01T10:00")
    bad = availability(api_client, professional, start="ontem", end="2030-01-01", duration=1)
    missing = availability(api_client, professional)

    assert too_long.status_code == 400
    assert "end" in too_long.json()
    assert backwards.status_code == 400
    assert "end" in backwards.json()
    assert bad.status_code == 400
    assert {"start", "duration"} <= set(bad.json())
    assert missing.status_code == 400
    assert {"start", "end"} <= set(missing.json())


def test_a_professional_without_rules_has_no_computed_slots(
    api_client: APIClient, professional: Professional
) -> None:
    response = availability(api_client, professional, start=str(MONDAY), end=str(MONDAY))

    assert response.status_code == 200
    assert response.json()["has_working_hours"] is False
    assert response.json()["slots"] == []


def test_queries_do_not_grow_with_the_window(
    api_client: APIClient, professional: Professional, django_assert_max_num_queries: Any
) -> None:
    for weekday in range(5):
        rule(professional, weekday=weekday, end_time=dt.time(18), slot_minutes=30)
    for day in range(20):
        services.appointment_create(
            professional=professional,
            date=at(MONDAY + dt.timedelta(days=day), "09:00"),
            allow_outside_hours=True,
        )

    # Session auth and throttling read no tables; professional, rules, exceptions, appointments.
    with django_assert_max_num_queries(5):
        response = availability(api_client, professional, start="2030-01-01", end="2030-01-31")

    assert response.status_code == 200
    assert len(response.json()["slots"]) > 300


def test_another_professionals_availability_is_not_found(professional: Professional) -> None:
    user = get_user_model().objects.create_user(username="prof-b", password="x-Senha-123")
    ProfessionalFactory.create(user=user)
    client = APIClient()
    client.force_authenticate(user=user)

    response = availability(client, professional, start=str(MONDAY), end=str(MONDAY))

    assert response.status_code == 404


# --- who is free on a day --------------------------------------------------------------------


def test_search_across_professionals_by_profession(
    api_client: APIClient, django_assert_max_num_queries: Any
) -> None:
    free = ProfessionalFactory.create(preferred_name="A Livre", profession="Psicóloga")
    full = ProfessionalFactory.create(preferred_name="B Lotada", profession="Psicóloga")
    other = ProfessionalFactory.create(preferred_name="C Outra", profession="Nutricionista")
    ProfessionalFactory.create(preferred_name="D Sem regras", profession="Psicóloga")
    for item in (free, full, other):
        rule(item, start_time=dt.time(8), end_time=dt.time(9))
    services.appointment_create(professional=full, date=at(MONDAY, "08:00"), duration_minutes=60)

    with django_assert_max_num_queries(6):
        response = api_client.get(
            "/api/availability/", {"date": str(MONDAY), "profession": "psicóloga"}
        )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["professional"]["id"] == free.pk
    assert body["results"][0]["slots"] == [
        {"start": "2030-01-07T08:00:00-03:00", "end": "2030-01-07T09:00:00-03:00"}
    ]
    assert api_client.get("/api/availability/").status_code == 400


# --- booking within hours ------------------------------------------------------------------


def book(client: APIClient, professional: Professional, start: dt.datetime, **extra: Any) -> Any:
    body = {"professional": professional.pk, "date": start.isoformat(), **extra}
    return client.post("/api/appointments/", body, format="json")


def test_booking_outside_hours_is_refused_naming_date(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional, breaks=[{"start": "10:00", "end": "11:00"}])

    inside = book(api_client, professional, at(MONDAY, "08:00"))
    off_grid_inside = book(api_client, professional, at(MONDAY, "09:10"))
    in_break = book(api_client, professional, at(MONDAY, "10:00"))
    past_closing = book(api_client, professional, at(MONDAY, "11:45"))
    other_day = book(api_client, professional, at(MONDAY + dt.timedelta(days=1), "08:00"))

    assert inside.status_code == 201, inside.content
    assert off_grid_inside.status_code == 201
    for refused in (in_break, past_closing, other_day):
        assert refused.status_code == 400, refused.content
        assert list(refused.json()) == ["date"]
    assert Appointment.objects.count() == 2


def test_staff_may_book_outside_hours_when_saying_so(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional)

    response = book(api_client, professional, at(MONDAY, "19:00"), allow_outside_hours=True)

    assert response.status_code == 201, response.content
    assert "allow_outside_hours" not in response.json()


def test_a_professional_user_may_not_book_outside_hours() -> None:
    user = get_user_model().objects.create_user(username="prof-own", password="x-Senha-123")
    professional = ProfessionalFactory.create(user=user)
    rule(professional)
    client = APIClient()
    client.force_authenticate(user=user)

    asked = book(client, professional, at(MONDAY, "19:00"), allow_outside_hours=True)
    plain = book(client, professional, at(MONDAY, "19:00"))
    inside = book(client, professional, at(MONDAY, "08:00"))

    assert asked.status_code == 400
    assert "allow_outside_hours" in asked.json()
    assert plain.status_code == 400
    assert "date" in plain.json()
    assert inside.status_code == 201


def test_moving_an_appointment_outside_hours_is_refused(
    api_client: APIClient, professional: Professional
) -> None:
    rule(professional)
    appointment = services.appointment_create(professional=professional, date=at(MONDAY, "08:00"))
    url = f"/api/appointments/{appointment.pk}/"

    moved_out = api_client.patch(url, {"date": at(MONDAY, "13:00").isoformat()}, format="json")
    moved_in = api_client.patch(url, {"date": at(MONDAY, "10:00").isoformat()}, format="json")
    forced = api_client.patch(
        url, {"date": at(MONDAY, "13:00").isoformat(), "allow_outside_hours": True}, format="json"
    )

    assert moved_out.status_code == 400
    assert "date" in moved_out.json()
    assert moved_in.status_code == 200
    assert forced.status_code == 200
    appointment.refresh_from_db()
    assert appointment.date == at(MONDAY, "13:00")


def test_without_rules_any_time_is_bookable_as_in_v1(
    api_client: APIClient, professional: Professional
) -> None:
    response = book(api_client, professional, at(MONDAY, "03:00"))

    assert response.status_code == 201


def test_the_service_refuses_outside_hours_unless_allowed(professional: Professional) -> None:
    rule(professional)

    with pytest.raises(BusinessRuleError) as refused:
        services.appointment_create(professional=professional, date=at(MONDAY, "12:00"))
    allowed = services.appointment_create(
        professional=professional, date=at(MONDAY, "12:00"), allow_outside_hours=True
    )

    assert refused.value.field == "date"
    assert allowed.pk is not None


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2030-01-01", "end": "9999-12-31"},
        {"start": "0001-01-01T00:00", "end": "2030-01-01"},
        {"start": "2030-01-01", "end": "2030-01-02", "duration": 100000},
    ],
)
def test_out_of_range_input_is_400_not_500(
    api_client: APIClient, professional: Professional, query: dict[str, Any]
) -> None:
    rule(professional)

    response = availability(api_client, professional, **query)

    assert response.status_code == 400


def test_readme_booking_flow(api_client: APIClient, professional: Professional) -> None:
    """README "Do horário livre à consulta paga", steps 1-3 and 5 (payment is in payments)."""
    for weekday in range(5):
        created = api_client.post(
            f"/api/professionals/{professional.pk}/working_hours/",
            {
                "weekday": weekday,
                "start_time": "08:00",
                "end_time": "18:00",
                "slot_minutes": 50,
                "breaks": [{"start": "12:00", "end": "13:00"}],
            },
            format="json",
        )
        assert created.status_code == 201

    day = api_client.get("/api/availability/", {"date": "2027-03-01", "profession": "Psicóloga"})
    week = availability(api_client, professional, start="2027-03-01", end="2027-03-05")
    booked = api_client.post(
        "/api/appointments/",
        {
            "professional": professional.pk,
            "date": "2027-03-01T08:50:00-03:00",
            "duration_minutes": 50,
        },
        format="json",
    )
    after = availability(api_client, professional, start="2027-03-01", end="2027-03-01")
    confirmed = api_client.post(f"/api/appointments/{booked.json()['id']}/confirm/")

    assert day.json()["results"][0]["slots"][0] == {
        "start": "2027-03-01T08:00:00-03:00",
        "end": "2027-03-01T08:50:00-03:00",
    }
    assert starts(week)[:2] == ["2027-03-01T08:00:00-03:00", "2027-03-01T08:50:00-03:00"]
    assert booked.status_code == 201
    assert booked.json()["booking_status"] == "SCHEDULED"
    assert "2027-03-01T08:50:00-03:00" not in starts(after)
    assert "2027-03-01T13:00:00-03:00" in starts(after)
    assert confirmed.json()["booking_status"] == "CONFIRMED"


def test_unknown_or_repeated_query_parameters_are_400(
    api_client: APIClient, professional: Professional
) -> None:
    url = f"/api/professionals/{professional.pk}/availability/"

    unknown = api_client.get(f"{url}?start=2030-01-07&end=2030-01-07&inicio=1")
    repeated = api_client.get(f"{url}?start=2030-01-07&start=2030-01-08&end=2030-01-09")
    search = api_client.get("/api/availability/?date=2030-01-07&profissao=x")
    rules = api_client.get(f"/api/professionals/{professional.pk}/working_hours/?dia=1")

    assert list(unknown.json()) == ["inicio"]
    assert list(repeated.json()) == ["start"]
    assert list(search.json()) == ["profissao"]
    assert list(rules.json()) == ["dia"]
