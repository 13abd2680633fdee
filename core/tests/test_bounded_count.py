"""``count`` is bounded: exact up to the cap, counted over a LIMITed subquery (never a scan of
the whole range), an estimate beyond it; ``next``/``previous`` stay exact either way."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from appointments.models import Appointment
from core.api import pagination
from core.audit import access_log_buffer
from core.tests.factories import AppointmentFactory, ProfessionalFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _buffered_audit(settings: Any) -> Iterator[None]:
    """The production audit mode: the access-log INSERT is not the request's."""
    settings.AUDIT_BUFFER_SECONDS = 3600.0
    settings.AUDIT_BUFFER_RECORDS = 100_000
    access_log_buffer.clear()
    yield
    access_log_buffer.clear()


@pytest.fixture
def twelve(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    professional = ProfessionalFactory.create()
    for _ in range(12):
        AppointmentFactory.create(professional=professional)
    return int(professional.pk)


def test_under_the_cap_the_count_is_exact_and_limited(
    api_client: APIClient, django_assert_max_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 50)
    for _ in range(3):
        AppointmentFactory.create()
    api_client.get("/api/appointments/")  # warm (the content type of the audit records)
    with django_assert_max_num_queries(2) as captured:
        body = api_client.get("/api/appointments/").json()
    assert body["count"] == 3
    count_sql = next(q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"])
    assert "LIMIT 51" in count_sql  # the count stops at cap + 1 rows


def test_over_the_cap_the_count_is_an_estimate_and_the_links_stay_exact(
    api_client: APIClient, twelve: int, django_assert_max_num_queries: Any
) -> None:
    url = f"/api/appointments/?professional={twelve}&page_size=5"
    api_client.get(url)  # warm (the content type of the audit records)
    with django_assert_max_num_queries(3):  # capped count, EXPLAIN, the page
        first = api_client.get(url).json()
    last = api_client.get(f"{url}&page=3").json()
    beyond = api_client.get(f"{url}&page=4")

    assert first["count"] > 5  # an estimate, never below cap + 1
    assert len(first["results"]) == 5
    assert first["next"] is not None
    assert first["previous"] is None
    assert [len(last["results"]), last["next"]] == [2, None]  # the real end
    assert last["previous"] is not None
    assert beyond.status_code == 404
    assert beyond.json() == {"detail": "Página inválida."}
    every = [*first["results"], *api_client.get(f"{url}&page=2").json()["results"]]
    every += last["results"]
    assert len({row["id"] for row in every}) == 12


def test_the_schema_says_what_count_means(api_client: APIClient) -> None:
    schema = api_client.get("/api/schema/?format=json").json()
    paginated = schema["components"]["schemas"]["PaginatedAppointmentList"]
    cap = f"{pagination.COUNT_CAP:,}".replace(",", ".")  # pt-BR thousands
    assert f"exato até {cap};" in paginated["properties"]["count"]["description"]


def test_the_estimate_plans_the_keys_alone_and_estimates_the_same_rows(
    api_client: APIClient, twelve: int
) -> None:
    url = f"/api/appointments/?professional={twelve}&page_size=5"
    api_client.get(url)
    pagination.estimates_forget()
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get(url).status_code == 200
    explain = next(q["sql"] for q in captured.captured_queries if q["sql"].startswith("EXPLAIN"))
    assert "JOIN" not in explain  # the page's select_related joins are not planned
    assert explain.split(" FROM ")[0].endswith('SELECT "appointments_appointment"."id" AS "pk"')

    queryset = Appointment.objects.select_related("professional").filter(professional_id=twelve)
    full = json.loads(queryset.order_by().explain(format="json"))[0]["Plan"]["Plan Rows"]
    assert pagination.planner_estimate(queryset) == full


def _explains(captured: CaptureQueriesContext) -> int:
    return sum(q["sql"].startswith("EXPLAIN") for q in captured.captured_queries)


def test_the_estimate_is_reused_for_the_same_filter_until_it_is_old(
    api_client: APIClient, twelve: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = ProfessionalFactory.create()
    for _ in range(7):
        AppointmentFactory.create(professional=other)
    url = f"/api/appointments/?professional={twelve}&page_size=5"
    with CaptureQueriesContext(connection) as captured:
        first = api_client.get(url).json()["count"]
        again = [api_client.get(f"{url}&page={page}").json()["count"] for page in (1, 2, 3)]
    assert _explains(captured) == 1  # the pages of one filter: one EXPLAIN
    assert again == [first] * 3
    with CaptureQueriesContext(connection) as captured:
        api_client.get(f"/api/appointments/?professional={other.pk}&page_size=5")
    assert _explains(captured) == 1  # other values: their own estimate, not the first one's

    clock = [1_000.0]
    monkeypatch.setattr(pagination, "_clock", lambda: clock[0])
    pagination.estimates_forget()
    with CaptureQueriesContext(connection) as captured:
        api_client.get(url)
        clock[0] += pagination.ESTIMATE_MAX_AGE - 1
        api_client.get(url)
        clock[0] += 1  # old now: asked again
        api_client.get(url)
    assert _explains(captured) == 2


def test_the_remembered_estimates_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "ESTIMATES_KEPT", 3)
    asked: list[int] = []

    def estimate(value: int) -> int:
        asked.append(value)
        return value * 10

    for value in range(5):
        held = pagination.estimate_remembered(("k", value), functools.partial(estimate, value))
        assert held == value * 10
        assert len(pagination._estimates) <= 3
    assert pagination.estimate_remembered(("k", 4), lambda: estimate(99)) == 40  # still held
    assert pagination.estimate_remembered(("k", 0), lambda: estimate(0)) == 0  # dropped: asked
    assert asked == [0, 1, 2, 3, 4, 0]
    # No estimate (not PostgreSQL) is not remembered; an unhashable key is just not kept.
    assert pagination.estimate_remembered(("none",), lambda: None) is None
    assert ("none",) not in pagination._estimates
    assert pagination.estimate_remembered(("list", [1]), lambda: 7) == 7


def _counts(captured: CaptureQueriesContext) -> int:
    return sum("COUNT(" in q["sql"] for q in captured.captured_queries)


def test_a_list_past_the_cap_is_not_counted_again_while_its_estimate_is_held(
    api_client: APIClient, twelve: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000.0]
    monkeypatch.setattr(pagination, "_clock", lambda: clock[0])
    url = f"/api/appointments/?professional={twelve}&page_size=5"
    with CaptureQueriesContext(connection) as captured:
        first = api_client.get(url).json()
    assert _counts(captured) == 1
    with CaptureQueriesContext(connection) as captured:
        pages = [api_client.get(f"{url}&page={page}").json() for page in (1, 2, 3)]
        beyond = api_client.get(f"{url}&page=4")
    assert _counts(captured) == 0  # the estimate held: the pages alone
    assert [page["count"] for page in pages] == [first["count"]] * 3
    assert [len(page["results"]) for page in pages] == [5, 5, 2]
    assert [page["next"] is None for page in pages] == [False, False, True]  # still exact
    assert beyond.status_code == 404
    assert len({row["id"] for page in pages for row in page["results"]}) == 12

    clock[0] += pagination.ESTIMATE_MAX_AGE  # old now: counted again
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get(url).json()["count"] == first["count"]
    assert _counts(captured) == 1


def test_a_held_list_that_shrank_keeps_its_estimate_and_an_emptied_one_is_counted(
    api_client: APIClient, twelve: int
) -> None:
    url = f"/api/appointments/?professional={twelve}&page_size=5"
    estimate = api_client.get(url).json()["count"]
    rows = list(Appointment.objects.filter(professional_id=twelve).order_by("date", "id"))
    Appointment.objects.filter(pk__in=[row.pk for row in rows[3:]]).delete()

    shrunk = api_client.get(url).json()  # documented: the estimate until it is asked again
    assert shrunk["count"] == estimate
    assert [len(shrunk["results"]), shrunk["next"]] == [3, None]  # the page itself is exact

    Appointment.objects.filter(professional_id=twelve).delete()
    with CaptureQueriesContext(connection) as captured:
        emptied = api_client.get(url).json()
    assert emptied == {"count": 0, "next": None, "previous": None, "results": []}
    assert _counts(captured) == 1  # counted then and there
    assert pagination.estimate_held(_key(twelve)) is None


def _key(professional: int) -> Any:
    queryset = Appointment.objects.select_related("professional").filter(
        professional_id=professional
    )
    return pagination.estimate_key(queryset.order_by("date", "id"))
