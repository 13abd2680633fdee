"""Every read endpoint runs at most 3 SQL queries per request, authenticated by a real JWT
(the user comes from the cached snapshot: no user or permission SELECT), with the production
audit mode (buffered: the access-log INSERT is not part of the request) — counted with
``django_assert_max_num_queries``, everything the request runs included."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from appointments.lifecycle import booking_transition
from appointments.models import Appointment, BookingStatus
from core.audit import access_log_buffer
from core.tests.access_fixtures import all_routes, make_patient, make_user
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import ScheduleException, WorkingHoursRule

pytestmark = pytest.mark.django_db

MAX_QUERIES = 3
MONDAY = dt.date(2030, 1, 7)


@pytest.fixture
def world(settings: Any) -> Iterator[dict[str, Any]]:
    settings.AUDIT_BUFFER_SECONDS = 3600.0  # buffered, written by the test itself below
    settings.AUDIT_BUFFER_RECORDS = 100_000
    access_log_buffer.clear()
    yield _world()
    access_log_buffer.clear()


def _world() -> dict[str, Any]:
    staff = make_user("operadora-contada", is_staff=True)  # model permissions via a group
    owner = make_user("profissional-contada")
    professional = ProfessionalFactory.create(user=owner, preferred_name="Dra. Ana Contada")
    for index in range(3):
        ProfessionalFactory.create(preferred_name=f"Dr. Outro {index}")
    rule = WorkingHoursRule.objects.create(
        professional=professional,
        weekday=0,
        start_time=dt.time(8),
        end_time=dt.time(12),
        slot_minutes=60,
    )
    exception = ScheduleException.objects.create(
        professional=professional, date=MONDAY + dt.timedelta(days=7), kind="DAY_OFF"
    )
    patient = make_patient("Paciente Contado")
    appointments = [
        AppointmentFactory.create(professional=professional, patient=patient) for _ in range(25)
    ]
    Appointment.objects.filter(pk=appointments[0].pk).update(total_amount=Decimal("100.00"))
    booking_transition(appointment_id=appointments[1].pk, target=BookingStatus.CONFIRMED)
    clients = {}
    for role, user in (("staff", staff), ("professional", owner)):
        client = APIClient()
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        clients[role] = client
    feed = clients["staff"].post(
        f"/api/professionals/{professional.pk}/calendar_feed/", {}, format="json"
    )
    assert feed.status_code in (200, 201), feed.content
    first = appointments[0]
    return {
        "clients": clients,
        "paths": {
            "professional-list": "/api/professionals/",
            "professional-list?search": "/api/professionals/?search=Ana",
            "professional-detail": f"/api/professionals/{professional.pk}/",
            "professional-working-hours-list": (
                f"/api/professionals/{professional.pk}/working_hours/"
            ),
            "professional-working-hours-detail": (
                f"/api/professionals/{professional.pk}/working_hours/{rule.pk}/"
            ),
            "professional-schedule-exceptions-list": (
                f"/api/professionals/{professional.pk}/schedule_exceptions/"
            ),
            "professional-schedule-exceptions-detail": (
                f"/api/professionals/{professional.pk}/schedule_exceptions/{exception.pk}/"
            ),
            "professional-calendar-feed": f"/api/professionals/{professional.pk}/calendar_feed/",
            "professional-availability": (
                f"/api/professionals/{professional.pk}/availability/?start={MONDAY}&end={MONDAY}"
            ),
            "availability-search": f"/api/availability/?date={MONDAY}",
            "appointment-list": "/api/appointments/",
            "appointment-list?professional": f"/api/appointments/?professional={professional.pk}",
            "appointment-list?range": (
                f"/api/appointments/?professional={professional.pk}"
                f"&start_date={first.date.date()}&end_date={appointments[-1].date.date()}"
            ),
            "appointment-list?page": "/api/appointments/?page=2&page_size=10",
            "appointment-detail": f"/api/appointments/{first.pk}/",
            "appointment-booking-booking-events": (
                f"/api/appointments/{appointments[1].pk}/booking_events/"
            ),
            "appointment-booking-ics": f"/api/appointments/{first.pk}/ics/",
            "appointment-payment-payment-status": f"/api/appointments/{first.pk}/payment_status/",
            "patient-list": "/api/patients/",
            "patient-detail": f"/api/patients/{patient.pk}/",
            "payment-metrics": "/api/payments/metrics/",
            "calendar-feed": feed.json()["url"].split("testserver")[-1],
        },
    }


NOT_DATA = {"schema", "swagger-ui", "redoc"}


def test_every_read_endpoint_is_counted(world: dict[str, Any]) -> None:
    """The list below is the project's: a new GET endpoint must join it."""
    names = set()
    for route in all_routes():
        if not route.pattern.startswith("api/") or route.name in NOT_DATA:
            continue
        actions = route.actions
        if (actions is not None and "get" in actions) or (
            actions is None and hasattr(route.view_class, "get")
        ):
            names.add(route.name)
    counted = {name.split("?")[0] for name in world["paths"]}
    assert names <= counted, names - counted


def _counted(client: APIClient, path: str, assert_max: Any) -> Any:
    client.get(path)  # warm: the user's snapshot is cached, as it is after any request
    access_log_buffer.flush()
    with assert_max(MAX_QUERIES) as captured:
        response = client.get(path)
    access_log_buffer.flush()
    return response, captured


@pytest.mark.parametrize(
    "name",
    [
        "professional-list",
        "professional-list?search",
        "professional-detail",
        "professional-working-hours-list",
        "professional-working-hours-detail",
        "professional-schedule-exceptions-list",
        "professional-schedule-exceptions-detail",
        "professional-calendar-feed",
        "professional-availability",
        "availability-search",
        "appointment-list",
        "appointment-list?professional",
        "appointment-list?range",
        "appointment-list?page",
        "appointment-detail",
        "appointment-booking-booking-events",
        "appointment-booking-ics",
        "appointment-payment-payment-status",
        "patient-list",
        "patient-detail",
        "payment-metrics",
        "calendar-feed",
    ],
)
@pytest.mark.parametrize("role", ["staff", "professional"])
def test_a_read_runs_at_most_three_queries(
    world: dict[str, Any], role: str, name: str, django_assert_max_num_queries: Any
) -> None:
    staff_only = name == "payment-metrics"
    expected = 403 if role == "professional" and staff_only else 200
    path = world["paths"][name]
    response, captured = _counted(world["clients"][role], path, django_assert_max_num_queries)
    assert response.status_code == expected, (path, response.content[:300])
    sql = [query["sql"] for query in captured.captured_queries]
    assert not [q for q in sql if re.search(r'FROM "auth_(user|permission|group)', q)], sql
