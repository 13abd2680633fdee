"""Access matrix: staff, professional A, professional B, an authenticated user with no role and
an anonymous caller × every endpoint and method → the expected status.

The target objects belong to professional A, so the "prof_b" column is "another professional
touching A's data": 404 wherever an id is looked up (never 403: that would confirm the record
exists). Staff-only *actions* (create/delete a professional, delete a patient, refund, metrics)
answer 403 to professionals before any lookup, whatever the id — so that 403 reveals nothing
about the id either (see ``test_refund_is_refused_before_any_lookup``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import resolve

from appointments.models import Appointment, Patient
from core.tests.access_fixtures import (
    PASSWORD,
    ROLES,
    World,
    all_routes,
    build_world,
    concrete_path,
    model_id,
    new_cpf,
)
from professionals.models import Professional, ScheduleException, WorkingHoursRule
from professionals.schedule.services import calendar_feed_rotate

pytestmark = pytest.mark.django_db

FAR_SLOT = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).replace(
    minute=0, second=0, microsecond=0
)

Body = Callable[[World], dict[str, Any]] | None


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def professional_body(world: World) -> dict[str, Any]:
    return {
        "preferred_name": "Dra. Nova Cadastrada",
        "profession": "Psicóloga",
        "address": "Rua Nova, 1 - São Paulo, SP",
        "contact": "nova@example.com",
    }


def appointment_body(world: World) -> dict[str, Any]:
    return {
        "date": FAR_SLOT.isoformat(),
        "professional": world.prof_a.pk,
        "patient": world.patient_a.pk,
    }


def patient_body(world: World) -> dict[str, Any]:
    return {"name": "Paciente Novo", "cpf": new_cpf(), "email": "novo@example.com"}


def token_body(world: World) -> dict[str, Any]:
    return {}  # replaced per role in the test (each role posts its own credentials)


@dataclass(frozen=True)
class Op:
    method: str
    path: Callable[[World], str]
    body: Body
    #: Expected status for staff, prof_a (owner), prof_b (another), plain, anon.
    expected: tuple[int, int, int, int, int]
    docs_public: bool = True


def const(path: str) -> Callable[[World], str]:
    return lambda _world: path


def prof_a_path(w: World) -> str:
    return f"/api/professionals/{w.prof_a.pk}/"


def appt_a_path(w: World) -> str:
    return f"/api/appointments/{w.appt_a.pk}/"


def patient_a_path(w: World) -> str:
    return f"/api/patients/{w.patient_a.pk}/"


def everyone(status: int) -> tuple[int, int, int, int, int]:
    return (status, status, status, status, status)


def hours_path(w: World) -> str:
    return f"{prof_a_path(w)}working_hours/"


def rule_body(w: World) -> dict[str, Any]:
    return {"weekday": 0, "start_time": "08:00", "end_time": "12:00", "slot_minutes": 30}


def rule_path(w: World) -> str:
    rule, _created = WorkingHoursRule.objects.get_or_create(
        professional=w.prof_a, weekday=1, start_time="08:00", end_time="12:00"
    )
    return f"{hours_path(w)}{rule.pk}/"


def exceptions_path(w: World) -> str:
    return f"{prof_a_path(w)}schedule_exceptions/"


def exception_body(w: World) -> dict[str, Any]:
    return {"date": "2030-01-01", "kind": "DAY_OFF", "description": "Folga"}


def exception_path(w: World) -> str:
    item, _created = ScheduleException.objects.get_or_create(
        professional=w.prof_a, date="2030-02-01", kind="DAY_OFF"
    )
    return f"{exceptions_path(w)}{item.pk}/"


def feed_path(w: World) -> str:
    return f"{prof_a_path(w)}calendar_feed/"


def existing_feed_path(w: World) -> str:
    calendar_feed_rotate(professional_id=w.prof_a.pk)
    return feed_path(w)


#: staff, prof_a, prof_b, plain, anon
READ = (200, 200, 200, 403, 401)
OWN_CREATE = (201, 201, 404, 403, 401)
OWN_DELETE = (204, 204, 404, 403, 401)
OWN = (200, 200, 404, 403, 401)
STAFF_ONLY = (200, 403, 403, 403, 401)

MATRIX: dict[str, Op] = {
    # Professionals: A sees and edits only A; creating and deleting are for staff.
    "professionals list": Op("get", const("/api/professionals/"), None, READ),
    "professionals options": Op("options", const("/api/professionals/"), None, READ),
    "professionals create": Op(
        "post", const("/api/professionals/"), professional_body, (201, 403, 403, 403, 401)
    ),
    "professional retrieve": Op("get", prof_a_path, None, OWN),
    "professional update": Op("put", prof_a_path, professional_body, OWN),
    "professional patch": Op(
        "patch", prof_a_path, lambda w: {"profession": "Terapeuta Ocupacional"}, OWN
    ),
    "professional delete": Op("delete", prof_a_path, None, (204, 403, 403, 403, 401)),
    # Appointments: A's own; B cannot book for A.
    "appointments list": Op("get", const("/api/appointments/"), None, READ),
    "appointments create": Op(
        "post", const("/api/appointments/"), appointment_body, (201, 201, 400, 403, 401)
    ),
    "appointment retrieve": Op("get", appt_a_path, None, OWN),
    "appointment options": Op("options", appt_a_path, None, READ),
    "appointment update": Op("put", appt_a_path, appointment_body, OWN),
    "appointment patch": Op("patch", appt_a_path, lambda w: {"duration_minutes": 45}, OWN),
    "appointment delete": Op("delete", appt_a_path, None, (204, 204, 404, 403, 401)),
    # Payment actions on A's (unbilled) appointment: nothing to cancel (400), nothing to
    # refund (400 for staff); refund is staff-only (403 before any lookup).
    "payment status": Op("get", lambda w: f"{appt_a_path(w)}payment_status/", None, OWN),
    "cancel payment": Op(
        "post", lambda w: f"{appt_a_path(w)}cancel_payment/", None, (400, 400, 404, 403, 401)
    ),
    "refund": Op("post", lambda w: f"{appt_a_path(w)}refund/", None, (400, 403, 403, 403, 401)),
    "resubmit payment": Op(
        "post", lambda w: f"{appt_a_path(w)}resubmit_payment/", None, (400, 403, 403, 403, 401)
    ),
    # Patients: those of A's appointments (and the ones A registered); delete is staff-only
    # (and refused with 409 here: the patient has an appointment).
    "patients list": Op("get", const("/api/patients/"), None, READ),
    "patients create": Op("post", const("/api/patients/"), patient_body, (201, 201, 201, 403, 401)),
    "patient retrieve": Op("get", patient_a_path, None, OWN),
    "patient update": Op(
        "put", patient_a_path, lambda w: {"name": "Ana Renomeada", "cpf": w.patient_a.cpf}, OWN
    ),
    "patient patch": Op("patch", patient_a_path, lambda w: {"phone": "11912345678"}, OWN),
    "patient delete": Op("delete", patient_a_path, None, (409, 403, 403, 403, 401)),
    # Staff only.
    "metrics": Op("get", const("/api/payments/metrics/"), None, STAFF_ONLY),
    # Documentation, with the production default (staff only) and public.
    "schema (staff only)": Op(
        "get", const("/api/schema/?format=json"), None, STAFF_ONLY, docs_public=False
    ),
    "swagger (staff only)": Op("get", const("/api/docs/"), None, STAFF_ONLY, docs_public=False),
    "redoc (staff only)": Op("get", const("/api/redoc/"), None, STAFF_ONLY, docs_public=False),
    "swagger (public)": Op("get", const("/api/docs/"), None, everyone(200)),
    # Open endpoints: tokens (each role with its own password; anon has none), the webhook
    # (its own token, none sent here), health.
    "token obtain": Op("post", const("/api/auth/token/"), token_body, (200, 200, 200, 200, 400)),
    "token refresh": Op("post", const("/api/auth/token/refresh/"), None, everyone(400)),
    "token verify": Op("post", const("/api/auth/token/verify/"), None, everyone(400)),
    "logout": Op("post", const("/api/auth/logout/"), None, everyone(400)),
    "webhook": Op("post", const("/api/payments/webhooks/asaas/"), None, everyone(401)),
    "health": Op("get", const("/health/"), None, everyone(200)),
    # Working hours, exceptions, calendar feed and free slots: as the professional.
    "working hours list": Op("get", hours_path, None, OWN),
    "working hours create": Op("post", hours_path, rule_body, OWN_CREATE),
    "working hours retrieve": Op("get", rule_path, None, OWN),
    "working hours update": Op("put", rule_path, rule_body, OWN),
    "working hours patch": Op("patch", rule_path, lambda w: {"slot_minutes": 45}, OWN),
    "working hours delete": Op("delete", rule_path, None, OWN_DELETE),
    "exceptions list": Op("get", exceptions_path, None, OWN),
    "exceptions create": Op("post", exceptions_path, exception_body, OWN_CREATE),
    "exception retrieve": Op("get", exception_path, None, OWN),
    "exception update": Op("put", exception_path, exception_body, OWN),
    "exception patch": Op("patch", exception_path, lambda w: {"description": "Outra"}, OWN),
    "exception delete": Op("delete", exception_path, None, OWN_DELETE),
    "feed create": Op("post", feed_path, None, OWN_CREATE),
    "feed retrieve": Op("get", existing_feed_path, None, OWN),
    "feed patch": Op("patch", existing_feed_path, lambda w: {"include_patient_name": True}, OWN),
    "feed revoke": Op("delete", existing_feed_path, None, OWN_DELETE),
    "public feed (unknown token)": Op(
        "get", const("/api/calendar/nao-existe.ics"), None, everyone(404)
    ),
    "availability": Op(
        "get",
        lambda w: f"{prof_a_path(w)}availability/?start=2030-01-07&end=2030-01-07",
        None,
        OWN,
    ),
    "availability search": Op("get", const("/api/availability/?date=2030-01-07"), None, READ),
    # Booking lifecycle of A's (future, scheduled) appointment.
    "confirm": Op("post", lambda w: f"{appt_a_path(w)}confirm/", None, OWN),
    "complete (not confirmed)": Op(
        "post", lambda w: f"{appt_a_path(w)}complete/", None, (409, 409, 404, 403, 401)
    ),
    "no show (not confirmed)": Op(
        "post", lambda w: f"{appt_a_path(w)}no_show/", None, (409, 409, 404, 403, 401)
    ),
    "cancel booking": Op(
        "post", lambda w: f"{appt_a_path(w)}cancel/", lambda w: {"by": "PATIENT"}, OWN
    ),
    "booking events": Op("get", lambda w: f"{appt_a_path(w)}booking_events/", None, OWN),
    "appointment ics": Op("get", lambda w: f"{appt_a_path(w)}ics/", None, OWN),
}

CASES = [(name, role, i) for name in MATRIX for i, role in enumerate(ROLES)]


def call(world: World, role: str, op: Op) -> Any:
    client = world.client(role)
    body = op.body(world) if op.body is not None else None
    user = world.user(role)
    if op.body is token_body and user is not None:
        body = {"username": user.username, "password": PASSWORD}
    path = op.path(world)
    if op.method in {"get", "options"}:
        return getattr(client, op.method)(path)
    return getattr(client, op.method)(path, body, format="json")


@pytest.mark.parametrize(("name", "role", "column"), CASES, ids=[f"{n}-{r}" for n, r, _ in CASES])
def test_access_matrix(name: str, role: str, column: int, world: World, settings: Any) -> None:
    op = MATRIX[name]
    settings.API_DOCS_PUBLIC = op.docs_public

    response = call(world, role, op)

    expected = op.expected[column]
    assert response.status_code == expected, getattr(response, "data", response.content)
    if expected in {401, 403, 404} and response["Content-Type"].startswith("application/json"):
        assert set(response.json()) == {"detail"}


def test_the_matrix_covers_every_api_endpoint_and_method(world: World) -> None:
    """A new endpoint or method must get a row here."""
    covered = set()
    for op in MATRIX.values():
        match = resolve(op.path(world).split("?")[0])
        covered.add((match.url_name, op.method))
    wanted = set()
    for route in all_routes():
        if not route.pattern.startswith("api/") or "format" in route.pattern:
            continue
        if route.actions is not None:
            methods = set(route.actions) - {"head"}
        else:
            view = route.view_class
            methods = {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}
        wanted |= {(route.name, method) for method in methods}

    assert wanted - covered == set()


def test_plain_user_is_refused_everywhere_in_the_api(world: World, settings: Any) -> None:
    """An authenticated user with no role: 403 on every method of every protected endpoint."""
    settings.API_DOCS_PUBLIC = False
    open_names = {
        "token-obtain",
        "token-refresh",
        "token-verify",
        "token-logout",
        "asaas-webhook",
        "calendar-feed",
    }
    client = world.client("plain")
    checked = 0
    for route in all_routes():
        if not route.pattern.startswith("api/") or route.name in open_names:
            continue
        path = concrete_path(route, model_id(world, route))
        for method in ("get", "post", "put", "patch", "delete", "options"):
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 403, f"{method.upper()} {path}"
            checked += 1
    assert checked >= 100


# --- what each role sees and changes -------------------------------------------------------


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.data
    return [row["id"] for row in response.json()["results"]]


def test_a_lists_only_themself(world: World) -> None:
    client = world.client("prof_a")

    assert ids(client.get("/api/professionals/")) == [world.prof_a.pk]
    assert ids(client.get("/api/professionals/", {"search": "Bruno"})) == []
    assert len(ids(world.client("staff").get("/api/professionals/"))) == 2


def test_a_edits_own_profile_but_not_commission_or_wallet(world: World) -> None:
    client = world.client("prof_a")
    before = Professional.objects.get(pk=world.prof_a.pk)

    response = client.patch(
        f"/api/professionals/{world.prof_a.pk}/",
        {"profession": "Neuropsicóloga", "split_percentage": "99.00", "asaas_wallet_id": "minha"},
        format="json",
    )

    assert response.status_code == 200
    after = Professional.objects.get(pk=world.prof_a.pk)
    assert after.profession == "Neuropsicóloga"
    assert after.split_percentage == before.split_percentage
    assert after.asaas_wallet_id == before.asaas_wallet_id
    assert response.json()["split_percentage"] == str(before.split_percentage)


def test_staff_changes_commission_and_wallet(world: World) -> None:
    wallet = "0b6f3c1e-6f0a-4a55-9a51-2f1c0b1f9d10"
    response = world.client("staff").patch(
        f"/api/professionals/{world.prof_a.pk}/",
        {"split_percentage": "70.00", "asaas_wallet_id": wallet},
        format="json",
    )

    assert response.status_code == 200
    world.prof_a.refresh_from_db()
    assert str(world.prof_a.split_percentage) == "70.00"
    assert world.prof_a.asaas_wallet_id == wallet


def test_a_cannot_reach_b_the_professional(world: World) -> None:
    client = world.client("prof_a")
    path = f"/api/professionals/{world.prof_b.pk}/"

    read = client.get(path)
    write = client.patch(path, {"profession": "Hackeado"}, format="json")
    create = client.post("/api/professionals/", professional_body(world), format="json")
    delete_self = client.delete(f"/api/professionals/{world.prof_a.pk}/")

    assert (read.status_code, write.status_code) == (404, 404)
    assert read.json() == write.json() == client.get("/api/professionals/999999/").json()
    assert create.status_code == 403
    assert delete_self.status_code == 403
    world.prof_b.refresh_from_db()
    assert world.prof_b.profession != "Hackeado"
    assert Professional.objects.filter(pk=world.prof_a.pk).exists()
    assert Professional.objects.count() == 2


def test_a_lists_and_touches_only_own_appointments(world: World) -> None:
    client = world.client("prof_a")
    other = f"/api/appointments/{world.appt_b.pk}/"
    before = Appointment.objects.get(pk=world.appt_b.pk)

    listed = ids(client.get("/api/appointments/"))
    filtered = ids(client.get("/api/appointments/", {"professional": world.prof_b.pk}))
    nobody = ids(client.get("/api/appointments/", {"professional": 999999}))
    read = client.get(other)
    update = client.put(other, {**appointment_body(world)}, format="json")
    patch = client.patch(other, {"duration_minutes": 60}, format="json")
    delete = client.delete(other)

    assert listed == [world.appt_a.pk]
    assert filtered == nobody == []  # B's id answers like an id that does not exist
    assert [r.status_code for r in (read, update, patch, delete)] == [404] * 4
    after = Appointment.objects.get(pk=world.appt_b.pk)
    assert (after.date, after.duration_minutes, after.professional_id) == (
        before.date,
        before.duration_minutes,
        before.professional_id,
    )


def test_a_cannot_book_for_b_nor_with_bs_patient(world: World) -> None:
    client = world.client("prof_a")

    for_b = client.post(
        "/api/appointments/",
        {"date": FAR_SLOT.isoformat(), "professional": world.prof_b.pk},
        format="json",
    )
    with_bs_patient = client.post(
        "/api/appointments/",
        {**appointment_body(world), "patient": world.patient_b.pk},
        format="json",
    )
    move_to_b = client.patch(
        f"/api/appointments/{world.appt_a.pk}/", {"professional": world.prof_b.pk}, format="json"
    )

    assert for_b.status_code == 400
    assert "professional" in for_b.json()
    assert with_bs_patient.status_code == 400
    assert "patient" in with_bs_patient.json()
    assert move_to_b.status_code == 400
    assert "professional" in move_to_b.json()
    # The messages are those of an id that does not exist.
    missing = client.post(
        "/api/appointments/",
        {"date": FAR_SLOT.isoformat(), "professional": 999999},
        format="json",
    )
    assert for_b.json()["professional"] == [
        m.replace("999999", str(world.prof_b.pk)) for m in missing.json()["professional"]
    ]
    assert Appointment.objects.count() == 2


def test_a_sees_own_patients_and_the_ones_registered(world: World) -> None:
    client = world.client("prof_a")

    created = client.post("/api/patients/", patient_body(world), format="json")
    assert created.status_code == 201
    new_id = created.json()["id"]

    listed = ids(client.get("/api/patients/"))
    assert sorted(listed) == sorted([world.patient_a.pk, new_id])
    assert client.get(f"/api/patients/{new_id}/").status_code == 200
    assert client.get(f"/api/patients/{world.patient_a.pk}/").status_code == 200
    assert client.get(f"/api/patients/{world.patient_b.pk}/").status_code == 404
    assert Patient.objects.get(pk=new_id).created_by == world.user_a
    # B does not see the patient A registered.
    assert world.client("prof_b").get(f"/api/patients/{new_id}/").status_code == 404
    assert new_id not in ids(world.client("prof_b").get("/api/patients/"))


def test_a_cannot_change_or_delete_patients_out_of_reach(world: World) -> None:
    client = world.client("prof_a")
    other = f"/api/patients/{world.patient_b.pk}/"

    patch = client.patch(other, {"name": "Trocado"}, format="json")
    delete_own = client.delete(f"/api/patients/{world.patient_a.pk}/")

    assert patch.status_code == 404
    assert delete_own.status_code == 403
    world.patient_b.refresh_from_db()
    assert world.patient_b.name == "Beto Paciente de Bruno"
    assert Patient.objects.filter(pk=world.patient_a.pk).exists()


def test_payment_actions_are_scoped(world: World) -> None:
    client = world.client("prof_a")
    own = f"/api/appointments/{world.appt_a.pk}/"
    other = f"/api/appointments/{world.appt_b.pk}/"

    assert client.get(f"{own}payment_status/").status_code == 200
    assert client.post(f"{own}cancel_payment/").status_code == 400  # nothing billed: not 403
    assert client.get(f"{other}payment_status/").status_code == 404
    assert client.post(f"{other}cancel_payment/").status_code == 404


def test_refund_is_refused_before_any_lookup(world: World) -> None:
    """Refund is a staff-only action: a professional gets 403 on their own appointment, on
    another's and on an id that does not exist alike — so the 403 leaks nothing."""
    client = world.client("prof_a")
    responses = [
        client.post(f"/api/appointments/{pk}/refund/", {}, format="json")
        for pk in (world.appt_a.pk, world.appt_b.pk, 999999)
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert responses[0].json() == responses[1].json() == responses[2].json()


@pytest.mark.xfail(
    strict=True,
    reason="Known gap: Patient.cpf is unique platform-wide, so a professional learns that a CPF "
    "belongs to someone's patient from the 400 'already exists' answer.",
)
def test_a_cannot_learn_that_a_cpf_is_bs_patient(world: World) -> None:
    client = world.client("prof_a")

    taken = client.post(
        "/api/patients/", {"name": "Outro Nome", "cpf": world.patient_b.cpf}, format="json"
    )

    assert taken.status_code != 400 or "cpf" not in taken.json()
