"""Shared data for the access-control tests: two professionals with their own logins, their
patients and appointments, a staff user, an authenticated user with no role, and clients for
each of them.

Plain helpers (not fixtures): each test module wraps ``build_world`` in its own fixture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient
from validate_docbr import CPF

from appointments.models import Appointment, Patient
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.models import Professional

PASSWORD = "Senha-de-teste-1234"
DUMMY_ID = "987654"
ROLES = ("staff", "prof_a", "prof_b", "plain", "anon")


def new_cpf() -> str:
    cpf: str = CPF().generate()
    return cpf


def make_user(username: str, **extra: Any) -> Any:
    """A user; staff users join the "operador" group (their day-to-day model permissions)."""
    from core.operators import operator_group_ensure

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD, **extra
    )
    if user.is_staff and not user.is_superuser:
        user.groups.add(operator_group_ensure())
    return user


def make_patient(name: str, **extra: Any) -> Patient:
    data: dict[str, Any] = {"name": name, "cpf": new_cpf(), "email": "", "phone": ""}
    data.update(extra)
    return Patient.objects.create(**data)


def client_for(user: Any | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@dataclass
class World:
    staff: Any
    user_a: Any
    user_b: Any
    plain: Any
    prof_a: Professional
    prof_b: Professional
    patient_a: Patient
    patient_b: Patient
    appt_a: Appointment
    appt_b: Appointment
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        return self.clients[role]

    def user(self, role: str) -> Any | None:
        return {
            "staff": self.staff,
            "prof_a": self.user_a,
            "prof_b": self.user_b,
            "plain": self.plain,
            "anon": None,
        }[role]


def build_world() -> World:
    staff = make_user("equipe-acesso", is_staff=True, is_superuser=True)
    user_a = make_user("prof-a")
    user_b = make_user("prof-b")
    plain = make_user("sem-papel")
    prof_a = ProfessionalFactory.create(preferred_name="Dra. Alice Acesso", user=user_a)
    prof_b = ProfessionalFactory.create(preferred_name="Dr. Bruno Bloqueado", user=user_b)
    patient_a = make_patient("Ana Paciente de Alice")
    patient_b = make_patient("Beto Paciente de Bruno")
    appt_a = AppointmentFactory.create(professional=prof_a, patient=patient_a)
    appt_b = AppointmentFactory.create(professional=prof_b, patient=patient_b)
    world = World(
        staff=staff,
        user_a=user_a,
        user_b=user_b,
        plain=plain,
        prof_a=prof_a,
        prof_b=prof_b,
        patient_a=patient_a,
        patient_b=patient_b,
        appt_a=appt_a,
        appt_b=appt_b,
    )
    world.clients = {role: client_for(world.user(role)) for role in ROLES}
    return world


# --- URL enumeration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern of the project, with its full pattern text and name."""

    pattern: str
    name: str | None
    callback: Any

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None)

    @property
    def actions(self) -> dict[str, str] | None:
        actions: dict[str, str] | None = getattr(self.callback, "actions", None)
        return actions


def all_routes() -> list[Route]:
    """Every URL pattern of the project, resolvers walked recursively."""

    def walk(patterns: list[Any], prefix: str) -> list[Route]:
        found: list[Route] = []
        for entry in patterns:
            if isinstance(entry, URLResolver):
                found += walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(Route(prefix + str(entry.pattern), entry.name, entry.callback))
        return found

    return walk(get_resolver().url_patterns, "")


SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"\(\?P<format>\[a-z0-9\]\+\)", "json"),
    (r"\(\?P<pk>\[\^/\.\]\+\)", "{id}"),
    (r"\(\?P<app_label>([a-z_]+)\|[^)]*\)", r"\1"),
    (r"\(\?P<app_label>([a-z_]+)\)", r"\1"),
    (r"\(\?P<url>\.\*\)", "nao-existe/"),
    (r"\(\[\^/\]\+\)", "{id}"),
    (r"<(?:path:|int:|str:)?[a-z_]+>", "{id}"),
    (r"\\\.", "."),
    (r"/\?", "/"),
    (r"[\^$]", ""),
)


def concrete_path(route: Route, object_id: str) -> str:
    """A path that resolves to ``route`` (fails loudly for a pattern it cannot build)."""
    text = route.pattern
    for regex, replacement in SUBSTITUTIONS:
        text = re.sub(regex, replacement, text)
    assert not re.search(r"[()<>\[\]\\*+?|]", text), f"cannot build a path for {route.pattern!r}"
    path = "/" + text.replace("{id}", object_id)
    match = resolve(path)
    assert match.func is route.callback, f"{path} resolves elsewhere than {route.pattern!r}"
    return path


def model_id(world: World, route: Route) -> str:
    """An existing object's id for the API's detail routes; a dummy one elsewhere."""
    name = route.name or ""
    for prefix, obj in (
        ("professional", world.prof_a),
        ("appointment", world.appt_a),
        ("patient", world.patient_a),
    ):
        if name.startswith(prefix):
            return str(obj.pk)
    return DUMMY_ID
