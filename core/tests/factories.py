# factory-boy's declarations are untyped; the factories' create() methods are typed.
# mypy: disallow-untyped-calls=False
"""Shared factory-boy factories for the API tests.

``AppointmentFactory`` places every appointment one hour after the previous one, starting on a
whole hour at least 30 days in the future, so that by default appointments never overlap
(whatever professional they belong to) and always lie in the future.
"""

from __future__ import annotations

import datetime as dt

from factory.declarations import Iterator, Sequence, SubFactory
from factory.django import DjangoModelFactory

from appointments.models import DEFAULT_DURATION_MINUTES, Appointment
from professionals.models import Professional

PROFESSIONS = ("Psicóloga", "Nutricionista", "Fisioterapeuta", "Fonoaudióloga", "Médico")

FIRST_SLOT = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(
    minute=0, second=0, microsecond=0
)
SLOT_SPACING = dt.timedelta(hours=1)


class ProfessionalFactory(DjangoModelFactory[Professional]):
    class Meta:
        model = Professional

    preferred_name = Sequence(lambda n: f"Dra. Profissional {n:04d}")
    profession = Iterator(PROFESSIONS)
    address = Sequence(lambda n: f"Rua das Flores, {n + 1} - São Paulo, SP")
    contact = Sequence(lambda n: f"profissional{n}@example.com / (11) 98765-4321")


class AppointmentFactory(DjangoModelFactory[Appointment]):
    class Meta:
        model = Appointment

    professional = SubFactory(ProfessionalFactory)
    date = Sequence(lambda n: FIRST_SLOT + n * SLOT_SPACING)
    duration_minutes = DEFAULT_DURATION_MINUTES
