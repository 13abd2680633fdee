"""``core.db.FastLoadMixin``: instances loaded from rows without ``Model.__init__`` are the
same instances Django builds — the same attributes, state and deferred columns — and the
``post_init``/``pre_init`` signals are honoured."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.models.signals import post_init, pre_init

from appointments.models import Appointment, Patient
from core.db import FastLoadMixin
from core.tests.access_fixtures import make_user
from core.tests.factories import AppointmentFactory
from professionals.models import Professional

pytestmark = pytest.mark.django_db

FAST_MODELS = (Appointment, Patient, Professional)


def _django_from_db(model: Any, db: str | None, names: list[str], values: list[Any]) -> Any:
    """What ``Model.from_db`` (through ``__init__``) builds from the same row, with the
    model's ``loaded_copies`` (the values its columns had when loaded)."""
    instance = models.Model.from_db.__func__(model, db, names, values)  # type: ignore[attr-defined]
    for copy, attname in model.loaded_copies.items():
        setattr(instance, copy, getattr(instance, attname))
    return instance


def _attributes(instance: Any) -> dict[str, Any]:
    return {key: value for key, value in vars(instance).items() if key != "_state"}


@pytest.fixture
def appointment() -> Appointment:
    patient = Patient.objects.create(name="Paciente Rápido", cpf="52998224725")
    appointment: Appointment = AppointmentFactory.create(patient=patient)
    return appointment


@pytest.mark.parametrize("model", FAST_MODELS, ids=lambda model: model.__name__)
def test_the_models_read_in_lists_load_fast(model: Any) -> None:
    assert issubclass(model, FastLoadMixin)
    assert model.from_db.__func__ is FastLoadMixin.from_db.__func__  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", FAST_MODELS, ids=lambda model: model.__name__)
def test_a_whole_row_gives_what_model_init_gives(model: Any, appointment: Appointment) -> None:
    names = [field.attname for field in model._meta.concrete_fields]
    row = model.objects.filter(pk__isnull=False).values_list(*names)[0]

    fast = model.from_db("default", names, list(row))
    slow = _django_from_db(model, "default", names, list(row))

    assert type(fast) is model
    assert _attributes(fast) == _attributes(slow)
    # Every column, in order (then what a post_init receiver adds, as with __init__).
    assert list(_attributes(fast))[: len(names)] == names
    assert (fast._state.adding, fast._state.db) == (False, "default")
    assert (slow._state.adding, slow._state.db) == (False, "default")
    assert fast.get_deferred_fields() == set()
    assert fast == slow


def test_deferred_columns_stay_deferred_and_load_on_first_use(appointment: Appointment) -> None:
    loaded = Appointment.objects.only("id", "status").get(pk=appointment.pk)

    assert "total_amount" in loaded.get_deferred_fields()
    assert "total_amount" not in vars(loaded)
    assert loaded.total_amount == appointment.total_amount  # read from the database now
    assert loaded.professional.pk == appointment.professional_id


def test_a_fast_loaded_instance_saves_as_an_update(appointment: Appointment) -> None:
    loaded = Appointment.objects.get(pk=appointment.pk)
    loaded.last_payment_error = "marcado"
    loaded.save(update_fields=["last_payment_error"])

    assert Appointment.objects.count() == 1
    loaded.refresh_from_db()
    assert loaded.last_payment_error == "marcado"


def test_select_related_rows_load_fast_too(appointment: Appointment) -> None:
    loaded = Appointment.objects.select_related("professional", "patient").get(pk=appointment.pk)

    assert loaded.professional.pk == appointment.professional_id
    assert loaded.patient is not None
    assert loaded.patient.name == "Paciente Rápido"
    assert loaded.professional._state.adding is False


def test_post_init_receivers_see_the_loaded_instance(appointment: Appointment) -> None:
    seen: list[tuple[Any, Any]] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append((sender, instance.status))

    post_init.connect(receiver, sender=Appointment)
    try:
        Appointment.objects.get(pk=appointment.pk)
    finally:
        post_init.disconnect(receiver, sender=Appointment)

    assert seen == [(Appointment, appointment.status)]


def test_with_a_pre_init_receiver_django_builds_the_instance(appointment: Appointment) -> None:
    seen: list[Any] = []

    def receiver(sender: Any, args: Any, kwargs: Any, **extra: Any) -> None:
        seen.append(len(args))

    assert appointment.patient is not None
    pre_init.connect(receiver, sender=Patient)
    try:
        loaded = Patient.objects.get(pk=appointment.patient.pk)
    finally:
        pre_init.disconnect(receiver, sender=Patient)

    assert seen == [len(Patient._meta.concrete_fields)]
    assert loaded.name == "Paciente Rápido"


def test_a_model_with_its_own_init_is_built_by_it(appointment: Appointment) -> None:
    calls: list[int] = []
    original = Patient.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(len(args))
        original(self, *args, **kwargs)

    Patient.__init__ = init  # type: ignore[method-assign]
    try:
        loaded = Patient.objects.get(name="Paciente Rápido")
    finally:
        del Patient.__init__  # back to Model.__init__ (Patient defines none)

    assert calls == [len(Patient._meta.concrete_fields)]
    assert loaded.name == "Paciente Rápido"
    assert Patient.__init__ is models.Model.__init__


def test_loaded_copies_keep_what_a_column_was_when_loaded(appointment: Appointment) -> None:
    professional = appointment.professional
    professional.user = make_user("copia-carregada")
    professional.save()
    assert Professional.loaded_copies == {"_auth_user_id": "user_id"}
    fast = Professional.objects.get(pk=professional.pk)
    seen: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(sender)

    pre_init.connect(receiver, sender=Professional)  # Django's own path builds it now
    try:
        slow = Professional.objects.only("id", "preferred_name").get(pk=professional.pk)
    finally:
        pre_init.disconnect(receiver, sender=Professional)
    assert seen == [Professional]
    assert fast._auth_user_id == professional.user_id is not None  # type: ignore[attr-defined]
    assert vars(slow)["_auth_user_id"] is None  # not loaded: nothing remembered
    assert "user_id" not in vars(slow)  # and the column itself stays deferred


def _rows(model: Any) -> tuple[list[str], list[list[Any]]]:
    names = [field.attname for field in model._meta.concrete_fields]
    return names, [list(row) for row in model.objects.order_by("pk").values_list(*names)]


def test_many_rows_load_as_each_would_alone(appointment: Appointment) -> None:
    AppointmentFactory.create(professional=appointment.professional)
    names, rows = _rows(Appointment)

    many = Appointment.from_db_many("default", names, rows)

    alone = [_django_from_db(Appointment, "default", names, row) for row in rows]
    assert [_attributes(instance) for instance in many] == [_attributes(a) for a in alone]
    assert [type(instance) for instance in many] == [Appointment, Appointment]
    assert [(i._state.adding, i._state.db) for i in many] == [(False, "default")] * 2
    assert many[0] is not many[1]


def test_many_rows_send_post_init_for_each_and_honour_pre_init(appointment: Appointment) -> None:
    AppointmentFactory.create(professional=appointment.professional)
    names, rows = _rows(Professional)
    seen: list[tuple[str, Any]] = []

    def after(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(("post", instance.pk))

    def before(sender: Any, args: Any, kwargs: Any, **extra: Any) -> None:
        seen.append(("pre", args[0]))

    post_init.connect(after, sender=Professional)
    try:
        plain = Professional.from_db_many("default", names, rows)
        pre_init.connect(before, sender=Professional)
        try:
            built = Professional.from_db_many("default", names, rows)
        finally:
            pre_init.disconnect(before, sender=Professional)
    finally:
        post_init.disconnect(after, sender=Professional)

    pks = [row[0] for row in rows]
    assert seen[: len(pks)] == [("post", pk) for pk in pks]
    assert seen[len(pks) :] == [item for pk in pks for item in (("pre", pk), ("post", pk))]
    for instance in (*plain, *built):  # the login's copy on both paths
        assert instance._auth_user_id == instance.user_id  # type: ignore[attr-defined]
