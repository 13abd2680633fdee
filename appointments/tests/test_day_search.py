"""Who is free on a day, computed only as far as the page needs: the same rows as examining
every professional, an exact ``next``, a ``count`` that is exact once every candidate was
examined and an estimate before, and a page whose cost is its batch."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from rest_framework.test import APIClient

from appointments import services
from appointments.availability import availability_search
from appointments.day_search import availability_day_search, day_candidates
from core.api.pagination import estimates_forget
from core.tests.factories import ProfessionalFactory
from professionals.models import Professional, ScheduleException, WorkingHoursRule
from professionals.schedule.models import ExceptionKind

pytestmark = pytest.mark.django_db

SP = ZoneInfo("America/Sao_Paulo")
WEDNESDAY = dt.date(2030, 1, 9)


@pytest.fixture(autouse=True)
def _no_held_counts() -> Any:
    estimates_forget()
    yield
    estimates_forget()


def _rule(professional: Professional, weekday: int = 2, **fields: Any) -> None:
    WorkingHoursRule.objects.create(
        professional=professional,
        weekday=weekday,
        start_time=dt.time(8),
        end_time=dt.time(10),
        slot_minutes=60,
        **fields,
    )


def _extra_hours(professional: Professional) -> None:
    ScheduleException.objects.create(
        professional=professional,
        date=WEDNESDAY,
        kind=ExceptionKind.EXTRA_HOURS,
        start_time=dt.time(14),
        end_time=dt.time(15),
        slot_minutes=60,
    )


def _book_whole_morning(professional: Professional) -> None:
    for hour in (8, 9):
        services.appointment_create(
            professional=professional,
            date=dt.datetime.combine(WEDNESDAY, dt.time(hour), tzinfo=SP),
            duration_minutes=60,
        )


def _clinic(size: int, *, booked_every: int = 0) -> list[Professional]:
    """``size`` professionals working Wednesday mornings; every ``booked_every``-th fully
    booked (no free slot)."""
    staff = [
        ProfessionalFactory.create(preferred_name=f"Profissional {index:03d}")
        for index in range(size)
    ]
    for index, professional in enumerate(staff):
        _rule(professional)
        if booked_every and index % booked_every == 0:
            _book_whole_morning(professional)
    return staff


def _everyone(day: dt.date = WEDNESDAY) -> list[int]:
    """The search's answer the slow way: every professional with rules examined at once."""
    ordered = list(
        Professional.objects.filter(working_hours__isnull=False)
        .distinct()
        .order_by("preferred_name", "id")
    )
    start = dt.datetime.combine(day, dt.time(), tzinfo=SP)
    found = availability_search(
        professional_ids=[item.pk for item in ordered],
        start=start,
        end=start + dt.timedelta(days=1),
    )
    return [item.pk for item in ordered if found[item.pk][1]]


def _search(client: APIClient, **query: int | str) -> Any:
    params = {"date": str(WEDNESDAY), **{key: str(value) for key, value in query.items()}}
    return client.get("/api/availability/", params)


def _ids(body: dict[str, Any]) -> list[int]:
    return [row["professional"]["id"] for row in body["results"]]


def test_every_page_has_the_rows_of_examining_everyone_and_next_is_exact(
    api_client: APIClient,
) -> None:
    _clinic(23, booked_every=4)
    expected = _everyone()
    assert len(expected) == 17  # 6 of 23 fully booked

    seen: list[int] = []
    url: str | None = f"/api/availability/?date={WEDNESDAY}&page_size=5"
    pages = 0
    while url:
        response = api_client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += _ids(body)
        url, pages = body["next"], pages + 1
    assert seen == expected
    assert pages == 4


def test_count_is_an_estimate_until_every_candidate_was_examined(api_client: APIClient) -> None:
    _clinic(40, booked_every=4)  # 30 of 40 free

    first = _search(api_client, page_size=5).json()
    last = _search(api_client, page_size=5, page=6).json()

    # Page 1 examined a batch of 8 (6 free): 6 + 32 remaining x 6/8 = 30.
    assert first["count"] == 30
    assert first["next"] is not None
    assert first["previous"] is None
    assert len(first["results"]) == 5
    # The last page examined everyone: exact.
    assert last["count"] == 30
    assert last["next"] is None
    assert len(last["results"]) == 5


def test_an_estimate_differs_from_the_truth_when_the_first_batch_is_not_typical(
    api_client: APIClient,
) -> None:
    staff = _clinic(40)
    for professional in staff[10:]:  # only the first 10 (by name) have a free slot
        _book_whole_morning(professional)

    first = _search(api_client, page_size=5).json()
    everything = _search(api_client, page_size=100).json()

    assert first["count"] == 40  # 8 of 8 examined were free: 40 estimated
    assert first["next"] is not None
    assert everything["count"] == 10  # examined everyone: exact
    assert _ids(everything) == [item.pk for item in staff[:10]]


def test_a_page_past_the_end_is_an_invalid_page(api_client: APIClient) -> None:
    _clinic(3)

    response = _search(api_client, page=2)

    assert response.status_code == 404
    assert _search(api_client, page="9" * 40).status_code == 404


def test_a_batch_of_fully_booked_professionals_is_followed_by_a_larger_one() -> None:
    staff = _clinic(60)
    for professional in staff[:30]:
        _book_whole_morning(professional)

    found = availability_day_search(
        professionals=Professional.objects.order_by("preferred_name", "id"),
        day=WEDNESDAY,
        duration_minutes=None,
        wanted=6,
    )

    assert [row.professional.pk for row in found.rows][:6] == [item.pk for item in staff[30:36]]
    assert not found.exact
    assert found.count >= len(found.rows) >= 6


def test_candidates_are_those_whose_rules_apply_that_day_or_with_extra_hours() -> None:
    works = ProfessionalFactory.create(preferred_name="A trabalha na quarta")
    _rule(works)
    other_day = ProfessionalFactory.create(preferred_name="B só às segundas")
    _rule(other_day, weekday=0)
    extra = ProfessionalFactory.create(preferred_name="C segundas e extra na quarta")
    _rule(extra, weekday=0)
    _extra_hours(extra)
    expired = ProfessionalFactory.create(preferred_name="D regra vencida")
    _rule(expired, valid_until=WEDNESDAY - dt.timedelta(days=1))
    future = ProfessionalFactory.create(preferred_name="E regra futura")
    _rule(future, valid_from=WEDNESDAY + dt.timedelta(days=1))
    no_rules = ProfessionalFactory.create(preferred_name="F sem regras, com extra")
    _extra_hours(no_rules)

    candidates = day_candidates(Professional.objects.order_by("preferred_name", "id"), WEDNESDAY)

    assert list(candidates) == [works, extra]
    # ...and they are exactly the professionals the full computation finds free.
    assert _everyone() == [works.pk, extra.pk]


def test_a_page_of_a_long_list_costs_its_batch(django_assert_num_queries: Any) -> None:
    _clinic(30)
    professionals = Professional.objects.order_by("preferred_name", "id")

    def search() -> Any:
        return availability_day_search(
            professionals=professionals, day=WEDNESDAY, duration_minutes=None, wanted=6
        )

    # The batch, its rules and exceptions, its appointments; the candidates counted.
    with django_assert_num_queries(4):
        first = search()
    # On PostgreSQL the candidates' count is held: the batch's three statements.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        again = search()

    assert len(first.rows) == 8  # a batch of 6 + 2 spare, all free
    assert first.count == again.count == 30
    assert not first.exact
