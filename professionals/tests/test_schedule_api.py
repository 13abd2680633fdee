"""Working hours and schedule exceptions under /api/professionals/{id}/…"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.tests.factories import ProfessionalFactory
from professionals.models import Professional, ScheduleException, WorkingHoursRule

pytestmark = pytest.mark.django_db

RULE = {
    "weekday": 0,
    "start_time": "08:00",
    "end_time": "18:00",
    "slot_minutes": 50,
    "breaks": [{"start": "12:00", "end": "13:00"}],
    "valid_from": "2026-01-01",
}


@pytest.fixture
def professional() -> Professional:
    return ProfessionalFactory.create()


def hours_url(professional: Professional) -> str:
    return f"/api/professionals/{professional.pk}/working_hours/"


def exceptions_url(professional: Professional) -> str:
    return f"/api/professionals/{professional.pk}/schedule_exceptions/"


def test_rule_crud(api_client: APIClient, professional: Professional) -> None:
    created = api_client.post(hours_url(professional), RULE, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["start_time"] == "08:00"
    assert body["breaks"] == [{"start": "12:00", "end": "13:00"}]
    assert body["valid_until"] is None
    url = f"{hours_url(professional)}{body['id']}/"

    listed = api_client.get(hours_url(professional))
    patched = api_client.patch(url, {"end_time": "17:00"}, format="json")
    deleted = api_client.delete(url)

    assert listed.json()["count"] == 1
    assert patched.status_code == 200
    assert patched.json()["end_time"] == "17:00"
    assert deleted.status_code == 204
    assert not WorkingHoursRule.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_time": "07:00"}, "end_time"),
        ({"weekday": 7}, "weekday"),
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"start_time": "08:00", "end_time": "08:30", "slot_minutes": 60}, "slot_minutes"),
        ({"valid_until": "2025-12-31"}, "valid_until"),
        ({"breaks": [{"start": "07:00", "end": "09:00"}]}, "breaks"),
        ({"breaks": [{"start": "12:00", "end": "11:00"}]}, "breaks"),
        (
            {"breaks": [{"start": "12:00", "end": "13:00"}, {"start": "12:30", "end": "14:00"}]},
            "breaks",
        ),
        ({"breaks": [{"start": "x"}]}, "breaks"),
        ({"start_time": "25:00"}, "start_time"),
    ],
)
def test_invalid_rules_are_400_naming_the_field(
    api_client: APIClient, professional: Professional, change: dict[str, Any], field: str
) -> None:
    response = api_client.post(hours_url(professional), {**RULE, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not WorkingHoursRule.objects.exists()


def test_exception_crud_and_rules(api_client: APIClient, professional: Professional) -> None:
    day_off = api_client.post(
        exceptions_url(professional),
        {"date": "2026-12-24", "kind": "DAY_OFF", "description": "Véspera de Natal"},
        format="json",
    )
    extra = api_client.post(
        exceptions_url(professional),
        {"date": "2026-12-19", "kind": "EXTRA_HOURS", "start_time": "09:00", "end_time": "12:00"},
        format="json",
    )
    extra_without_times = api_client.post(
        exceptions_url(professional), {"date": "2026-12-19", "kind": "EXTRA_HOURS"}, format="json"
    )
    half = api_client.post(
        exceptions_url(professional),
        {"date": "2026-12-19", "kind": "DAY_OFF", "start_time": "09:00"},
        format="json",
    )
    wrong_kind = api_client.post(
        exceptions_url(professional), {"date": "2026-12-19", "kind": "PARTY"}, format="json"
    )

    assert day_off.status_code == 201
    assert day_off.json()["start_time"] is None
    assert extra.status_code == 201
    assert extra.json()["end_time"] == "12:00"
    assert extra_without_times.status_code == 400
    assert "start_time" in extra_without_times.json()
    assert half.status_code == 400
    assert "end_time" in half.json()
    assert wrong_kind.status_code == 400
    assert "kind" in wrong_kind.json()
    url = f"{exceptions_url(professional)}{extra.json()['id']}/"
    assert api_client.patch(url, {"end_time": "08:00"}, format="json").status_code == 400
    assert api_client.delete(url).status_code == 204
    assert ScheduleException.objects.count() == 1


def test_a_professional_manages_own_hours_only(professional: Professional) -> None:
    user = get_user_model().objects.create_user(username="dona", password="x-Senha-123")
    own = ProfessionalFactory.create(user=user)
    client = APIClient()
    client.force_authenticate(user=user)
    foreign_rule = WorkingHoursRule.objects.create(
        professional=professional, weekday=0, start_time="08:00", end_time="12:00"
    )

    mine = client.post(hours_url(own), RULE, format="json")
    theirs = client.post(hours_url(professional), RULE, format="json")
    peek = client.get(f"{hours_url(own)}{foreign_rule.pk}/")
    peek_theirs = client.get(f"{hours_url(professional)}{foreign_rule.pk}/")

    assert mine.status_code == 201
    assert theirs.status_code == 404
    assert peek.status_code == 404  # another professional's rule id under my own path
    assert peek_theirs.status_code == 404
    assert WorkingHoursRule.objects.filter(professional=professional).count() == 1


def test_national_holidays_are_not_listed_per_professional(
    api_client: APIClient, professional: Professional
) -> None:
    call_command("load_holidays", "--years", "2027", stdout=open("/dev/null", "w"))  # noqa: SIM115

    response = api_client.get(exceptions_url(professional))

    assert response.json()["count"] == 0
    assert ScheduleException.objects.filter(professional=None).count() >= 9


def test_load_holidays_refuses_absurd_years() -> None:
    with pytest.raises(CommandError):
        call_command("load_holidays", "--years", "1500")


def test_services_turn_model_validation_into_a_business_error(professional: Professional) -> None:
    import datetime as dt

    from core.exceptions import BusinessRuleError
    from professionals.schedule.services import working_hours_rule_create

    with pytest.raises(BusinessRuleError) as refused:
        working_hours_rule_create(
            professional_id=professional.pk,
            data={"weekday": 9, "start_time": dt.time(8), "end_time": dt.time(9)},
        )

    assert refused.value.field == "weekday"


def test_text_and_boolean_fields_take_their_declared_types_only(
    api_client: APIClient, professional: Professional
) -> None:
    number = api_client.post(
        exceptions_url(professional),
        {"date": "2026-12-24", "kind": "DAY_OFF", "description": 0},
        format="json",
    )
    feed_url = f"/api/professionals/{professional.pk}/calendar_feed/"
    zero = api_client.post(feed_url, {"include_patient_name": 0}, format="json")
    word = api_client.post(feed_url, {"include_patient_name": "sim"}, format="json")
    fine = api_client.post(feed_url, {"include_patient_name": True}, format="json")

    assert number.status_code == 400
    assert "description" in number.json()
    assert zero.status_code == 400
    assert word.status_code == 400
    assert fine.status_code == 201
