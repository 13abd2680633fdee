"""The buffered read-access log (``AUDIT_BUFFER_SECONDS`` > 0, the production default): a read
costs no INSERT in the request, the records reach the table within the window (or sooner when
``AUDIT_BUFFER_RECORDS`` are waiting, and at a worker's exit), and nothing else depends on it."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

import core.audit
from appointments.models import Appointment
from core.audit import access_log_buffer, access_log_insert
from core.models import AccessAction, AccessLog
from core.tests.factories import AppointmentFactory, ProfessionalFactory
from professionals.serializers import README_PROFESSIONAL

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(count: int, seconds: float = 10.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = AccessLog.objects.count()
        if found >= count:
            return found
        time.sleep(0.05)
    return AccessLog.objects.count()


def _worker_exit() -> None:
    """gunicorn's ``worker_exit`` hook, from the project's gunicorn.conf.py."""
    spec = importlib.util.spec_from_file_location(
        "gunicorn_conf", Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    )
    assert spec is not None
    assert spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    conf.worker_exit(None, None)


def _another_session(**options: Any) -> Any:
    """A psycopg connection of its own to the test database (not Django's)."""
    settings_dict = connection.settings_dict
    return psycopg.connect(
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        user=settings_dict["USER"] or None,
        dbname=settings_dict["NAME"],
        **options,
    )


@pytest.fixture
def buffered(settings: Any) -> Any:
    access_log_buffer.flush()
    settings.AUDIT_BUFFER_SECONDS = 0.2
    settings.AUDIT_BUFFER_RECORDS = 500
    yield settings
    access_log_buffer.stop()  # its connection closed: the test database can be dropped


def test_a_read_writes_nothing_in_the_request_and_the_record_lands_within_the_window(
    buffered: Any, api_client: APIClient, django_assert_max_num_queries: Any
) -> None:
    appointment = AppointmentFactory.create()

    started = time.monotonic()
    with django_assert_max_num_queries(2) as captured:  # the appointment, the count/nothing
        assert api_client.get(f"/api/appointments/{appointment.pk}/").status_code == 200
    assert not [q for q in captured.captured_queries if "core_accesslog" in q["sql"]]

    assert _wait_for(1) == 1
    assert time.monotonic() - started < 5
    record = AccessLog.objects.get()
    assert record.object_id == str(appointment.pk)
    assert record.action == AccessAction.RETRIEVE
    assert record.path == f"/api/appointments/{appointment.pk}/"


def test_a_full_batch_is_written_without_waiting_for_the_window(
    buffered: Any, api_client: APIClient
) -> None:
    buffered.AUDIT_BUFFER_SECONDS = 60.0  # only the size can trigger the write
    buffered.AUDIT_BUFFER_RECORDS = 5
    access_log_buffer.flush()
    professional = ProfessionalFactory.create()
    for _ in range(5):
        AppointmentFactory.create(professional=professional)
    time.sleep(0.1)  # the writer thread is waiting on its (now long) window

    assert api_client.get("/api/appointments/").status_code == 200

    assert _wait_for(5) == 5


def test_a_worker_exit_writes_what_is_waiting(buffered: Any, api_client: APIClient) -> None:
    buffered.AUDIT_BUFFER_SECONDS = 60.0
    appointment = AppointmentFactory.create()
    access_log_buffer.flush()
    time.sleep(0.1)
    assert api_client.get(f"/api/appointments/{appointment.pk}/").status_code == 200
    assert len(access_log_buffer) == 1

    _worker_exit()

    assert len(access_log_buffer) == 0
    assert AccessLog.objects.filter(object_id=str(appointment.pk)).count() == 1


def test_a_refused_batch_loses_only_audit_records_and_never_a_write(
    buffered: Any, api_client: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    buffered.AUDIT_BUFFER_SECONDS = 60.0
    access_log_buffer.flush()
    time.sleep(0.1)
    poison = {
        "actor_id": None,
        "actor_username": "",
        "action": "x" * 50,  # longer than the column
        "content_type_id": None,  # NOT NULL: refused by every database
        "ip_address": None,
        "user_agent": "",
        "path": "",
    }
    access_log_buffer.add([(poison, ("1",))])

    response = api_client.post(
        "/api/professionals/",
        {**README_PROFESSIONAL, "preferred_name": "Dra. Gravada"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert access_log_buffer.flush() == 0  # the database refuses the batch
    assert "access log batch refused" in caplog.text
    assert "Gravada" not in caplog.text  # no personal data in the log
    # The write committed on its own, untouched by the audit buffer's failure.
    from professionals.models import Professional

    assert Professional.objects.filter(preferred_name="Dra. Gravada").exists()
    assert len(access_log_buffer) == 0


@pytest.mark.parametrize("address", ["203.0.113.7", "2001:db8::7"])
def test_a_buffered_record_carries_every_column_of_the_read(
    buffered: Any, api_client: APIClient, staff_user: Any, address: str
) -> None:
    buffered.AUDIT_BUFFER_SECONDS = 60.0  # written by the flush below, not by the thread
    access_log_buffer.flush()
    professional = ProfessionalFactory.create()
    listed = [AppointmentFactory.create(professional=professional) for _ in range(3)]
    before = timezone.now()

    response = api_client.get(
        "/api/appointments/", HTTP_USER_AGENT="clinic-app/2.1", REMOTE_ADDR=address
    )
    assert response.status_code == 200
    assert AccessLog.objects.count() == 0
    assert access_log_buffer.flush() == 3

    records = list(AccessLog.objects.order_by("object_id"))
    assert sorted(record.object_id for record in records) == sorted(str(a.pk) for a in listed)
    content_type = ContentType.objects.get_for_model(Appointment)
    for record in records:
        assert record.actor_id == staff_user.pk
        assert record.actor_username == staff_user.get_username()
        assert record.action == AccessAction.LIST
        assert record.content_type_id == content_type.pk
        assert record.ip_address == address
        assert record.user_agent == "clinic-app/2.1"
        assert record.path == "/api/appointments/"
        assert before <= record.created_at <= timezone.now()
    assert len({record.created_at for record in records}) == 1  # one batch, one moment


def test_records_without_an_address_or_an_actor_are_written(buffered: Any) -> None:
    access_log_buffer.flush()
    common = {
        "actor_id": None,
        "actor_username": "",
        "action": AccessAction.RETRIEVE,
        "content_type_id": ContentType.objects.get_for_model(Appointment).pk,
        "ip_address": None,
        "user_agent": "",
        "path": "/api/appointments/1/",
    }
    access_log_buffer.add([(common, ("1",)), (dict(common, ip_address=""), ("2",))])

    assert access_log_buffer.flush() == 2
    assert list(AccessLog.objects.order_by("object_id").values_list("object_id", "ip_address")) == [
        ("1", None),
        ("2", None),
    ]


def _shared(path: str = "/api/appointments/") -> dict[str, Any]:
    return {
        "actor_id": None,
        "actor_username": "",
        "action": AccessAction.LIST,
        "content_type_id": ContentType.objects.get_for_model(Appointment).pk,
        "ip_address": "198.51.100.4",
        "user_agent": "clinic-app",
        "path": path,
    }


def test_each_id_a_request_read_is_one_record_whatever_its_text(buffered: Any) -> None:
    access_log_buffer.flush()
    awkward = ("1", "a,b", "{2,3}", 'say "hi"', "back\\slash", "NULL", "ação", " ", "9" * 64)
    access_log_buffer.add([(_shared("/api/a/"), awkward), (_shared("/api/b/"), ("7",))])
    assert len(access_log_buffer) == len(awkward) + 1

    assert access_log_buffer.flush() == len(awkward) + 1

    written = list(AccessLog.objects.order_by("id").values_list("object_id", "path", "ip_address"))
    assert written == [(text, "/api/a/", "198.51.100.4") for text in awkward] + [
        ("7", "/api/b/", "198.51.100.4")
    ]


def test_batches_hold_whole_requests_and_write_every_record(buffered: Any) -> None:
    sizes = (2, 2, 5, 1)
    pending = [
        (_shared(f"/api/{n}/"), tuple(f"{n}-{k}" for k in range(size)))
        for n, size in enumerate(sizes)
    ]
    with CaptureQueriesContext(connection) as captured:
        access_log_insert(pending, batch_size=3)

    inserts = [q for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 3  # (2 + 2), (5), (1): a request's records never split
    assert sorted(AccessLog.objects.values_list("object_id", "path")) == sorted(
        (f"{n}-{k}", f"/api/{n}/") for n, size in enumerate(sizes) for k in range(size)
    )


@pytest.mark.postgres
def test_records_kept_while_the_database_is_gone_are_bounded_oldest_first(
    buffered: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    access_log_buffer.flush()
    buffered.AUDIT_BUFFER_SECONDS = 60.0
    monkeypatch.setattr(core.audit, "BUFFER_HARD_LIMIT", 5)
    access_log_buffer.add([(_shared(f"/api/{n}/"), (f"{n}-a", f"{n}-b")) for n in range(3)])
    connection.ensure_connection()
    # The writer's connection is killed from another session: the INSERT fails for real.
    with _another_session(autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    assert access_log_buffer.flush() == 0
    assert "access log batch not written (6 waiting, 2 dropped)" in caplog.text
    assert len(access_log_buffer) == 4  # the oldest request's 2 records went

    connection.close()  # what close_old_connections does with a broken connection
    assert access_log_buffer.flush() == 4
    assert sorted(AccessLog.objects.values_list("object_id", flat=True)) == [
        "1-a",
        "1-b",
        "2-a",
        "2-b",
    ]


@pytest.mark.postgres
def test_a_worker_exit_waits_for_the_batch_the_writer_is_writing(buffered: Any) -> None:
    """The writer thread has taken the records and its INSERT is under way (held here by a
    table lock): the exit hook must not return before that batch commits — the process,
    and the daemon thread's open transaction with it, would be gone."""
    access_log_buffer.flush()
    buffered.AUDIT_BUFFER_SECONDS = 60.0
    buffered.AUDIT_BUFFER_RECORDS = 3
    blocker = _another_session()
    try:
        blocker.execute(f"LOCK TABLE {AccessLog._meta.db_table} IN EXCLUSIVE MODE")
        access_log_buffer.add([(_shared(), ("1", "2", "3"))])  # a full batch: the thread writes
        deadline = time.monotonic() + 5
        while len(access_log_buffer) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(access_log_buffer) == 0  # taken by the writer, blocked on the lock
        threading.Timer(0.5, blocker.rollback).start()

        _worker_exit()

        assert sorted(AccessLog.objects.values_list("object_id", flat=True)) == ["1", "2", "3"]
    finally:
        blocker.close()
