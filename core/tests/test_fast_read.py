"""The fast read path (``core.api.fastread``) answers what the whole stack answers: status,
headers and bytes, the same audit records and throttle hits, with its own checks (token,
revocation, permissions, scoping) — and leaves to the whole stack every request it does not
serve, without counting a throttle hit twice."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework_simplejwt.tokens import AccessToken

from appointments.fast_reads import APPOINTMENTS
from appointments.models import Appointment, Patient
from core.api import fastread, pagination
from core.api.throttling import UserRateThrottle, window_key
from core.api.token_user import user_from_snapshot
from core.db import PREPARE_THRESHOLD
from core.models import AccessLog
from core.tests.access_fixtures import make_patient, make_user
from core.tests.factories import ProfessionalFactory
from core.tests.test_body_parity import (
    schedule_seed,
    seeded,  # noqa: F401 - the varied data, as a fixture
)
from professionals.models import Professional
from professionals.schedule.models import ScheduleException, WorkingHoursRule

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(autouse=True)
def _redis_cache(fast_path_cache: None) -> None:
    """Every test of a module that imports this fixture runs on the production cache."""


#: Differs per request by design.
VOLATILE_HEADERS = {"X-Request-ID"}


def bearer(user: Any) -> str:
    return f"Bearer {AccessToken.for_user(user)}"


def both(path: str, authorization: str | None, **headers: Any) -> tuple[Any, Any]:
    """The fast path's answer and the whole stack's to the same request."""
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    fast = Client().get(path, **headers)
    with override_settings(FAST_READS=False):
        whole = Client().get(path, **headers)
    return fast, whole


def outcome(response: Any) -> str:
    return str(getattr(response.wsgi_request, fastread.OUTCOME_ATTRIBUTE, "not asked"))


def headers_of(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.items() if k not in VOLATILE_HEADERS}


def assert_same(fast: Any, whole: Any) -> None:
    assert fast.status_code == whole.status_code, fast.content
    assert fast.content == whole.content
    assert headers_of(fast) == headers_of(whole)


@pytest.fixture
def data(seeded: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    staff = make_user("fast-staff", is_staff=True)  # the "operador" group's permissions
    seeded["staff"] = staff
    seeded["other_owner"] = make_user("fast-prof-b")
    ProfessionalFactory.create(preferred_name="Outra Pessoa", user=seeded["other_owner"])
    make_patient("Ana_Percent% Souza", email="ana@example.com")
    return seeded


def _pid(data: dict[str, Any]) -> int:
    return int(data["professionals"][0].pk)


LISTS = [
    "/api/professionals/",
    "/api/professionals/?search=Ana",
    "/api/professionals/?search=%20ana%20",
    "/api/professionals/?search=",
    "/api/professionals/?search=%C3%A7%C3%A3o",  # ção
    "/api/professionals/?search=%22Z%C3%A9%22",  # "Zé"
    "/api/professionals/?search=%25",  # a literal %
    "/api/professionals/?page_size=2&page=2",
    "/api/professionals/?page_size=100",
    "/api/appointments/",
    "/api/appointments/?page_size=7&page=3",
    "/api/appointments/?professional={pid}",
    "/api/appointments/?professional={pid}&start_date=2020-01-01&end_date=2030-12-31",
    "/api/appointments/?date_start=2020-01-01T00:00:00-03:00&date_end=2031-01-01",
    "/api/appointments/?date=2199-01-01",
    "/api/appointments/?professional=999999",
    "/api/patients/",
    "/api/patients/?search=maria",
    "/api/patients/?search=_",
    "/api/patients/?search=Percent%25",
]


@pytest.mark.parametrize("path", LISTS)
def test_lists_are_the_whole_stacks_answer(data: dict[str, Any], path: str) -> None:
    path = path.format(pid=_pid(data))
    fast, whole = both(path, bearer(data["staff"]))
    assert outcome(fast) == "served"
    assert outcome(whole) == "not asked"
    assert fast.status_code == 200
    assert_same(fast, whole)


def test_the_lists_cover_real_rows(data: dict[str, Any]) -> None:
    for path in ("/api/professionals/?search=Ana", "/api/patients/?search=Percent%25"):
        fast, _whole = both(path, bearer(data["staff"]))
        assert fast.json()["results"], path
    body = both("/api/appointments/?page_size=7&page=3", bearer(data["staff"]))[0].json()
    assert body["next"]
    assert body["previous"]
    assert len(body["results"]) == 7


@pytest.mark.parametrize("model", [Professional, Appointment, Patient])
def test_details_are_the_whole_stacks_answer(data: dict[str, Any], model: Any) -> None:
    prefix = {Professional: "professionals", Appointment: "appointments", Patient: "patients"}
    rows = list(model.objects.values_list("pk", flat=True))
    assert rows
    for pk in rows:
        fast, whole = both(f"/api/{prefix[model]}/{pk}/", bearer(data["staff"]))
        assert outcome(fast) == "served"
        assert_same(fast, whole)


def test_a_cpf_search_matches_the_whole_stack(data: dict[str, Any]) -> None:
    patient = data["patients"][0]
    cpf = patient.cpf
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    fast, whole = both(f"/api/patients/?search={formatted}", bearer(data["staff"]))
    assert outcome(fast) == "served"
    assert [row["id"] for row in fast.json()["results"]] == [patient.pk]
    assert_same(fast, whole)


@pytest.mark.parametrize(
    "path",
    [
        "/api/professionals/",
        "/api/professionals/{pid}/",
        "/api/appointments/",
        "/api/appointments/?professional={pid}",
        "/api/appointments/{appointment}/",
    ],
)
def test_a_professional_reads_only_their_own(data: dict[str, Any], path: str) -> None:
    own = data["professionals"][0]
    appointment = Appointment.objects.filter(professional=own).first()
    assert appointment is not None
    path = path.format(pid=own.pk, appointment=appointment.pk)
    fast, whole = both(path, bearer(data["owner"]))
    assert outcome(fast) == "served"
    assert_same(fast, whole)
    body = fast.json()
    rows = body.get("results", [body])
    assert rows
    assert all(row.get("professional", row["id"]) == own.pk for row in rows)


@pytest.mark.parametrize(
    "path",
    [
        "/api/professionals/{pid}/",  # someone else's: 404 from the whole stack
        "/api/appointments/{other_appointment}/",
        "/api/patients/",  # a professional's patients: the whole stack's subquery
    ],
)
def test_others_rows_are_left_to_the_whole_stack(data: dict[str, Any], path: str) -> None:
    other = data["professionals"][1]
    appointment = Appointment.objects.filter(professional=other).first()
    assert appointment is not None
    path = path.format(pid=other.pk, other_appointment=appointment.pk)
    fast, whole = both(path, bearer(data["owner"]))
    assert outcome(fast) != "served"
    assert_same(fast, whole)


UNSERVED = [
    ("/api/professionals/?profession=x", "parameter profession"),
    ("/api/professionals/?ordering=-created_at", "parameter ordering"),
    ("/api/professionals/?nome=x", "parameter nome"),
    ("/api/professionals/?search=a&search=b", "repeated parameter"),
    ("/api/professionals/?search=a%00b", "NUL in a parameter"),
    ("/api/professionals/?page=0", "page"),
    ("/api/professionals/?page=99", "page"),
    ("/api/professionals/?page=x", "page"),
    ("/api/professionals/?page_size=101", "page"),
    ("/api/professionals/?page_size=", "page_size"),
    ("/api/appointments/?date=ontem", "date"),
    ("/api/appointments/?date=2999-01-01", "date"),  # past FILTER_MAX_YEAR: the form's 400
    ("/api/appointments/?start_date=", "date"),
    ("/api/appointments/?professional=0", "professional"),
    ("/api/appointments/?professional=%C2%B2", "professional"),
    ("/api/appointments/?booking_status=SCHEDULED", "parameter booking_status"),
    ("/api/appointments/?format=json", "parameter format"),
    ("/api/appointments/999999999/", "not found"),
    ("/api/appointments/abc/", "path"),
    ("/api/appointments/1/?x=1", "query"),
    ("/api/payments/", "path"),
]


@pytest.mark.parametrize(("path", "reason"), UNSERVED)
def test_other_requests_get_the_whole_stacks_answer(
    data: dict[str, Any], path: str, reason: str
) -> None:
    fast, whole = both(path, bearer(data["staff"]))
    assert outcome(fast) == reason
    assert_same(fast, whole)


def test_credentials_it_cannot_accept_get_the_whole_stacks_answer(data: dict[str, Any]) -> None:
    expired = AccessToken.for_user(data["staff"])
    expired.set_exp(lifetime=-dt.timedelta(minutes=1))
    cases = {
        None: "no token",
        "Bearer": "token",
        "Basic dXNlcjpwdw==": "not a bearer token",
        "Bearer nao.e.jwt": "token",
        f"Bearer {expired}": "token",
    }
    for authorization, reason in cases.items():
        fast, whole = both("/api/professionals/", authorization)
        assert (outcome(fast), fast.status_code) == (reason, 401), authorization
        assert_same(fast, whole)


def test_a_changed_password_revokes_the_token_here_too(data: dict[str, Any]) -> None:
    authorization = bearer(data["staff"])
    assert outcome(both("/api/professionals/", authorization)[0]) == "served"
    data["staff"].set_password("Outra-senha-1234")
    data["staff"].save()
    fast, whole = both("/api/professionals/", authorization)
    assert (outcome(fast), fast.status_code) == ("user", 401)
    assert_same(fast, whole)


def test_staff_without_the_view_permission_is_refused_by_the_whole_stack(
    data: dict[str, Any],
) -> None:
    bare = make_user("fast-bare-staff", is_staff=True)
    bare.groups.clear()
    plain = make_user("fast-plain")  # no staff, no professional
    for user in (bare, plain):
        fast, whole = both("/api/appointments/", bearer(user))
        assert (outcome(fast), fast.status_code) == ("permission", 403)
        assert_same(fast, whole)


def test_browsers_and_cors_keep_their_answers(data: dict[str, Any], settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    authorization = bearer(data["staff"])
    fast, whole = both("/api/professionals/", authorization, HTTP_ACCEPT="text/html")
    assert outcome(fast) == "Accept"
    assert fast["Content-Type"].startswith("text/html")
    fast, whole = both("/api/professionals/", authorization, HTTP_ORIGIN="https://app.example.com")
    assert outcome(fast) == "served"
    assert fast["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert_same(fast, whole)


@pytest.mark.parametrize("accept", ["*/*", "application/json", "application/json, text/plain, */*"])
def test_json_clients_are_served(data: dict[str, Any], accept: str) -> None:
    fast, whole = both("/api/appointments/", bearer(data["staff"]), HTTP_ACCEPT=accept)
    assert outcome(fast) == "served"
    assert_same(fast, whole)


def test_a_host_not_allowed_gets_the_whole_stacks_400(data: dict[str, Any], settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    fast, whole = both("/api/professionals/", bearer(data["staff"]), HTTP_HOST="evil.example")
    assert (outcome(fast), fast.status_code) == ("host", 400)
    assert_same(fast, whole)


def test_off_switch(data: dict[str, Any], settings: Any) -> None:
    settings.FAST_READS = False
    response = Client().get("/api/professionals/", HTTP_AUTHORIZATION=bearer(data["staff"]))
    assert response.status_code == 200
    assert outcome(response) == "not asked"


# --- bounded count --------------------------------------------------------------------------


def test_past_the_count_cap_it_estimates_like_the_whole_stack(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    authorization = bearer(data["staff"])
    pid = _pid(data)
    url = f"/api/appointments/?professional={pid}&page_size=4"
    total = Appointment.objects.filter(professional_id=pid).count()
    assert total > 5
    last = -(-total // 4)
    for page in (1, 2, last):
        fast, whole = both(f"{url}&page={page}", authorization)
        assert outcome(fast) == "served"
        assert_same(fast, whole)
        body = fast.json()
        assert body["count"] > 5
        assert (body["next"] is None) == (page == last)
    fast, whole = both(f"{url}&page={last + 1}", authorization)
    assert (outcome(fast), fast.status_code) == ("page", 404)
    assert_same(fast, whole)


# --- audit, throttle, SQL -------------------------------------------------------------------


def _audit(path: str, authorization: str, *, fast: bool) -> list[tuple[Any, ...]]:
    AccessLog.objects.all().delete()
    with override_settings(FAST_READS=fast):
        response = Client().get(path, HTTP_AUTHORIZATION=authorization, HTTP_USER_AGENT="UA/1")
    assert response.status_code == 200
    return sorted(
        AccessLog.objects.values_list(
            "actor_id",
            "actor_username",
            "action",
            "content_type_id",
            "object_id",
            "path",
            "ip_address",
            "user_agent",
        )
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/appointments/?page_size=5",
        "/api/patients/",
        "/api/professionals/",
        "/api/patients/{p}/",
    ],
)
def test_the_audit_trail_is_the_whole_stacks(data: dict[str, Any], path: str) -> None:
    path = path.format(p=data["patients"][0].pk)
    authorization = bearer(data["staff"])
    served = _audit(path, authorization, fast=True)
    assert served == _audit(path, authorization, fast=False)
    if path != "/api/professionals/":
        assert served  # the professionals' list is not audited (only their detail)


def test_a_served_read_builds_no_user_instance(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks, the scope and the audit record read the snapshot's caller; the user
    instance is built only when something asks ``request.user``."""
    built: list[Any] = []

    def counted(snapshot: dict[str, Any]) -> Any:
        built.append(snapshot)
        return user_from_snapshot(snapshot)

    monkeypatch.setattr(fastread, "user_from_snapshot", counted)
    owner = data["owner"]
    appointment = Appointment.objects.filter(professional__user=owner).first()
    assert appointment is not None
    path = f"/api/appointments/{appointment.pk}/"
    response = Client().get(path, HTTP_AUTHORIZATION=bearer(owner))
    assert (outcome(response), response.status_code, built) == ("served", 200, [])
    user: Any = response.wsgi_request.user
    assert (user.pk, user.is_authenticated, user.professional.user_id) == (owner.pk, True, owner.pk)
    assert len(built) == 1


def _hits(user: Any) -> int:
    throttle = UserRateThrottle()
    key = window_key(throttle.cache_format % {"scope": throttle.scope, "ident": user.pk})
    return int(cache.get(key) or 0)


@pytest.mark.parametrize(
    "path", ["/api/professionals/", "/api/appointments/999999999/", "/api/professionals/?page=99"]
)
def test_one_request_one_throttle_hit_served_or_not(data: dict[str, Any], path: str) -> None:
    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    before = _hits(data["staff"])
    response = client.get(path)
    assert _hits(data["staff"]) == before + 1, outcome(response)


def test_a_refused_throttle_is_the_whole_stacks_429(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": None})
    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    outcomes = [outcome(client.get("/api/professionals/")) for _ in range(3)]
    refused = client.get("/api/professionals/")
    assert outcomes == ["served", "served", "throttled"]
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert _hits(data["staff"]) == 4


@pytest.mark.parametrize(
    "path", ["/api/appointments/", "/api/professionals/?search=Ana", "/api/patients/{p}/"]
)
def test_at_most_three_statements(
    data: dict[str, Any], path: str, django_assert_max_num_queries: Any
) -> None:
    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    path = path.format(p=data["patients"][0].pk)
    client.get(path)  # warm: the snapshot and the audit's content type
    with django_assert_max_num_queries(3):
        response = client.get(path)
    assert outcome(response) == "served"


def test_repeated_reads_are_prepared_and_keep_their_answers(data: dict[str, Any]) -> None:
    """Past psycopg's threshold the statements run prepared (PostgreSQL skips parsing and
    planning), page after page, and the bodies stay the whole stack's."""
    pid = _pid(data)
    paths = [f"/api/appointments/?professional={pid}&page_size=2&page={n}" for n in (1, 2)]
    paths.append(f"/api/professionals/{pid}/")
    for _ in range(PREPARE_THRESHOLD + 1):
        for path in paths:
            fast, whole = both(path, bearer(data["staff"]))
            assert outcome(fast) == "served"
            assert_same(fast, whole)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("COUNT(*)" in text and 'professional_id" = $1' in text for text in prepared)
    # The page's statement (one row more than the page) carries the capped count.
    assert any(text.endswith("LIMIT 3 OFFSET 2") and "COUNT(*)" in text for text in prepared)
    assert any(text.endswith("LIMIT 3 OFFSET 0") and "COUNT(*)" in text for text in prepared)
    assert any('FROM "professionals_professional" WHERE' in text for text in prepared)


@pytest.mark.parametrize(
    "path",
    [
        "/api/professionals/",
        "/api/professionals/?search=Ana",
        "/api/appointments/?professional={pid}&page_size=2&page=2",
        "/api/appointments/?date=2199-01-01",
        "/api/patients/?search=Percent%25",
    ],
)
def test_a_list_under_the_count_cap_is_one_statement(data: dict[str, Any], path: str) -> None:
    """Its page and its capped count in one statement (the count read off any row; no row
    on the first page: no match). The read audit's INSERT, synchronous in tests, aside."""
    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    path = path.format(pid=_pid(data))
    client.get(path)  # warm: the snapshot and the audit's content type
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert outcome(response) == "served"
    reads = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("INSERT")]
    assert len(reads) == 1, reads
    assert "COUNT(*)" in reads[0]


# --- guards ---------------------------------------------------------------------------------


def test_a_view_that_changes_its_rules_is_not_served() -> None:
    from rest_framework.permissions import IsAdminUser

    from professionals.views import ProfessionalViewSet

    class Stricter(ProfessionalViewSet):
        permission_classes = [*ProfessionalViewSet.permission_classes, IsAdminUser]

    with pytest.raises(fastread.Unserved, match="permission"):
        fastread.view_check(Stricter)
    fastread.view_check(ProfessionalViewSet)  # as configured: served


def test_a_fault_in_the_fast_path_costs_nothing_but_speed(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(fastread.FastReads, "_list", broken)
    with caplog.at_level(logging.ERROR, logger="core.api.fastread"):
        fast, whole = both("/api/professionals/", bearer(data["staff"]))
    assert outcome(fast) == "error"
    assert fast.status_code == 200
    assert_same(fast, whole)
    assert "fast read failed" in caplog.text


def test_the_body_is_json_of_the_rows(data: dict[str, Any]) -> None:
    body = json.loads(both("/api/professionals/", bearer(data["staff"]))[0].content)
    assert body["count"] == Professional.objects.count()


@pytest.mark.django_db(transaction=True)
def test_a_dead_connection_costs_a_fallback_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    from django.db import connections

    connection: Any = connections["default"]
    staff = make_user("fast-dead-staff", is_staff=True)
    ProfessionalFactory.create(preferred_name="Conexão Caída")
    client = Client(HTTP_AUTHORIZATION=bearer(staff))
    healthy = client.get("/api/professionals/")
    assert outcome(healthy) == "served"
    # What a restart of PostgreSQL leaves behind, at the start of the next request.
    connection.ensure_connection()
    assert connection.connection is not None
    connection.connection.close()
    connection.health_check_done = False
    with caplog.at_level(logging.WARNING, logger="core.api.fastread"):
        response = client.get("/api/professionals/")
    assert outcome(response) == "database"
    assert response.status_code == 200
    assert response.content == healthy.content
    assert "answered by the whole stack" in caplog.text
    assert connection.is_usable()  # the whole stack's check replaced it


def test_a_search_is_counted_by_a_plan_of_its_own(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A substring search's capped count reads a MATERIALIZED CTE (planned without the LIMIT,
    so the trigram index serves it); the answer is the whole stack's, under and past the cap."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(4):
        make_patient(f"Contagem Apartada {index}")
    authorization = bearer(data["staff"])
    for cap in (1000, 2):
        monkeypatch.setattr(pagination, "COUNT_CAP", cap)
        with CaptureQueriesContext(connection) as captured:
            fast, whole = both("/api/patients/?search=apartada&page_size=2", authorization)
        assert outcome(fast) == "served"
        assert_same(fast, whole)
        counts = [q["sql"] for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
        assert "MATERIALIZED" in counts[0]  # the fast path's (the whole stack's comes after)
        assert (fast.json()["count"] == 4) == (cap == 1000)
    with CaptureQueriesContext(connection) as captured:
        both("/api/patients/", authorization)
    assert not any("MATERIALIZED" in q["sql"] for q in captured.captured_queries)


def test_past_the_count_cap_the_estimate_is_asked_once_per_filter(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    authorization = bearer(data["staff"])
    url = f"/api/appointments/?professional={_pid(data)}&page_size=4"
    with CaptureQueriesContext(connection) as captured:
        answers = [Client().get(url, HTTP_AUTHORIZATION=authorization) for _ in range(3)]
    assert [outcome(answer) for answer in answers] == ["served"] * 3
    assert len({answer.json()["count"] for answer in answers}) == 1
    explains = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("EXPLAIN")]
    assert len(explains) == 1
    pagination.estimates_forget()
    fast, whole = both(url, authorization)
    assert_same(fast, whole)


def test_the_count_of_appointments_does_not_join_their_professionals(
    data: dict[str, Any],
) -> None:
    """The professional join (a non-null foreign key with its constraint) neither drops nor
    repeats a row: the capped count reads the appointments alone, as the ORM's count does
    (with the join it cost twice the page's statement over a month of a clinic's agenda)."""
    authorization = bearer(data["staff"])
    with CaptureQueriesContext(connection) as captured:
        fast, whole = both(f"/api/appointments/?professional={_pid(data)}", authorization)
    assert outcome(fast) == "served"
    assert_same(fast, whole)
    # The fast path's statement (the page with its capped count), before the whole stack's.
    counted = next(q["sql"] for q in captured.captured_queries if ") capped)" in q["sql"])
    capped = counted[counted.index("(SELECT COUNT(*)") :].split(") capped)")[0]
    assert "JOIN" not in capped
    assert "JOIN" in counted.split("(SELECT COUNT(*)")[1].split(") capped)")[1]  # the page's
    assert fast.json()["count"] == Appointment.objects.filter(professional_id=_pid(data)).count()


def test_rows_naming_the_same_related_row_share_its_instance() -> None:
    professionals = [ProfessionalFactory.create(), ProfessionalFactory.create()]
    route = fastread._Route(APPOINTMENTS)
    columns = route.related_columns
    assert columns is not None
    names = columns.attnames
    first, second = (
        tuple(Professional.objects.filter(pk=p.pk).values_list(*names).get()) for p in professionals
    )

    loaded = fastread._load_shared(columns, [first, second, first, first], connection)

    assert [instance.pk for instance in loaded] == [professionals[i].pk for i in (0, 1, 0, 0)]
    assert loaded[0] is loaded[2] is loaded[3]
    assert loaded[0] is not loaded[1]
    # A value that cannot be hashed (a JSON or array column): each row its own instance.
    listed = (first[0], ["not", "hashable"], *first[2:])
    apart = fastread._load_shared(columns, [listed, listed], connection)
    assert apart[0] is not apart[1]
    assert [vars(instance)[names[1]] for instance in apart] == [["not", "hashable"]] * 2


def test_a_page_is_represented_as_each_row_alone(data: dict[str, Any]) -> None:
    from appointments.serializers import AppointmentSerializer, PatientListSerializer
    from core.api.compiled import represent_many

    appointments = list(Appointment.objects.select_related("professional").order_by("pk"))
    patients = list(Patient.objects.order_by("pk"))
    assert appointments
    assert patients
    compiled: Any = AppointmentSerializer(context={})
    overriding: Any = PatientListSerializer(context={})  # its own to_representation
    assert represent_many(compiled, appointments) == [
        compiled.to_representation(row) for row in appointments
    ]
    assert represent_many(overriding, patients) == [
        overriding.to_representation(row) for row in patients
    ]
    assert any("*" in item["cpf"] for item in represent_many(overriding, patients))
    unsaved = Appointment(pk=None)  # no professional: the plan fails, DRF's rules answer
    assert represent_many(compiled, [unsaved]) == [compiled.to_representation(unsaved)]


def _counted(captured: CaptureQueriesContext) -> int:
    return sum(") capped)" in q["sql"] for q in captured.captured_queries)


def test_past_the_count_cap_a_held_estimate_spares_the_count(
    data: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the estimate of a list past the cap is held, its pages are read without the capped
    count, with the same answers as the whole stack's; an emptied list is counted again."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    authorization = bearer(data["staff"])
    pid = _pid(data)
    url = f"/api/appointments/?professional={pid}&page_size=4"
    total = Appointment.objects.filter(professional_id=pid).count()
    last = -(-total // 4)
    with CaptureQueriesContext(connection) as captured:
        fast, whole = both(url, authorization)
    assert _counted(captured) == 1  # the fast path's (the whole stack counts its own way)
    assert_same(fast, whole)
    for page in (1, 2, last, last + 1):
        with CaptureQueriesContext(connection) as captured:
            fast, whole = both(f"{url}&page={page}", authorization)
        assert _counted(captured) == 0
        assert outcome(fast) == ("served" if page <= last else "page")
        assert_same(fast, whole)
    assert fast.status_code == 404

    Appointment.objects.filter(professional_id=pid).delete()
    with CaptureQueriesContext(connection) as captured:
        fast, whole = both(url, authorization)
    assert outcome(fast) == "served"
    assert _counted(captured) == 1
    assert_same(fast, whole)
    assert fast.json()["count"] == 0


# --- a professional's working hours and exceptions (nested under /api/professionals/<pk>/) ---


@pytest.fixture
def schedule(data: dict[str, Any]) -> dict[str, Any]:
    return schedule_seed(data["professionals"])


NESTED = ["working_hours", "schedule_exceptions"]


@pytest.mark.parametrize("inner", NESTED)
def test_a_professionals_schedule_is_the_whole_stacks_answer(
    schedule: dict[str, Any], data: dict[str, Any], inner: str
) -> None:
    model = WorkingHoursRule if inner == "working_hours" else ScheduleException
    pages = {
        schedule["own"]: ("", "?page_size=2", "?page_size=2&page=2", "?page_size=100"),
        schedule["other"]: ("", "?page_size=1"),
    }
    for pid, queries in pages.items():
        for query in queries:
            fast, whole = both(f"/api/professionals/{pid}/{inner}/{query}", bearer(data["staff"]))
            assert (outcome(fast), fast.status_code) == ("served", 200), query
            assert_same(fast, whole)
        rows = list(model.objects.filter(professional_id=pid).values_list("pk", flat=True))
        assert fast.json()["count"] == len(rows) > 0
        for pk in rows:
            fast, whole = both(f"/api/professionals/{pid}/{inner}/{pk}/", bearer(data["staff"]))
            assert outcome(fast) == "served"
            assert_same(fast, whole)
    body = both(f"/api/professionals/{schedule['own']}/{inner}/", bearer(data["staff"]))[0].json()
    if inner == "working_hours":
        assert body["results"][3]["breaks"] == [
            {"start": "10:00", "end": "10:15"},
            {"start": "12:00", "end": "13:30"},
        ]
    else:  # the three of 19/12 by start time, the one without last; no national holiday
        assert [row["start_time"] for row in body["results"][:3]] == ["07:00", "09:00", None]
        assert "Natal" not in {row["description"] for row in body["results"]}


@pytest.mark.parametrize("inner", NESTED)
def test_a_professional_user_reads_their_own_schedule_here(
    schedule: dict[str, Any], data: dict[str, Any], inner: str
) -> None:
    own = schedule["own"]
    first = (WorkingHoursRule if inner == "working_hours" else ScheduleException).objects.filter(
        professional_id=own
    )[0]
    for path in (
        f"/api/professionals/{own}/{inner}/",
        f"/api/professionals/{own}/{inner}/{first.pk}/",
    ):
        fast, whole = both(path, bearer(data["owner"]))
        assert (outcome(fast), fast.status_code) == ("served", 200)
        assert_same(fast, whole)


@pytest.mark.parametrize("inner", NESTED)
def test_a_schedule_without_rows_is_answered_as_the_whole_stack_does(
    schedule: dict[str, Any], data: dict[str, Any], inner: str
) -> None:
    other_rule = (
        WorkingHoursRule if inner == "working_hours" else ScheduleException
    ).objects.filter(professional_id=schedule["other"])[0]
    cases = [
        # staff: an existing professional without rows is an empty page, served here
        (data["staff"], f"/api/professionals/{schedule['bare']}/{inner}/", "served", 200),
        (data["staff"], f"/api/professionals/999999/{inner}/", "no parent row", 404),
        (data["staff"], f"/api/professionals/{schedule['bare']}/{inner}/?page=2", "page", 404),
        # another professional's row under this one's URL
        (
            data["staff"],
            f"/api/professionals/{schedule['own']}/{inner}/{other_rule.pk}/",
            "not found",
            404,
        ),
        # a professional user: someone else's schedule (404), never served here
        (data["owner"], f"/api/professionals/{schedule['other']}/{inner}/", "no rows", 404),
        (
            data["owner"],
            f"/api/professionals/{schedule['other']}/{inner}/{other_rule.pk}/",
            "not found",
            404,
        ),
        (
            data["staff"],
            f"/api/professionals/{schedule['own']}/{inner}/?weekday=0",
            "parameter weekday",
            400,
        ),
        (data["staff"], f"/api/professionals/x/{inner}/", "path", 404),
    ]
    for user, path, reason, status in cases:
        fast, whole = both(path, bearer(user))
        assert (outcome(fast), fast.status_code) == (reason, status), path
        assert_same(fast, whole)
    assert both(cases[0][1], bearer(data["staff"]))[0].json()["results"] == []


@pytest.mark.parametrize("inner", NESTED)
def test_a_schedule_list_is_one_statement_and_an_empty_one_two(
    schedule: dict[str, Any], data: dict[str, Any], inner: str
) -> None:
    client = Client(HTTP_AUTHORIZATION=bearer(data["staff"]))
    for pid, statements in ((schedule["own"], 1), (schedule["bare"], 2)):
        path = f"/api/professionals/{pid}/{inner}/"
        client.get(path)  # warm: the snapshot
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert outcome(response) == "served"
        assert len(captured.captured_queries) == statements, captured.captured_queries
