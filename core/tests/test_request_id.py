"""Request ids: accepted or generated, returned, logged, and kept with the rows they caused."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
from collections.abc import Iterator

import pytest
from django.test import Client

from core.observability.logs import logging_config
from core.observability.request_id import (
    celery_before_publish,
    celery_task_postrun,
    celery_task_prerun,
    request_id_clean,
    request_id_get,
    request_id_reset,
    request_id_set,
)
from core.tests.test_settings import PRODUCTION_ENV, run

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.mark.django_db
def test_a_request_without_an_id_gets_a_new_one_in_the_response() -> None:
    first = Client().get("/health/")
    second = Client().get("/health/")
    assert HEX32.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_well_formed_id_from_the_client_is_kept() -> None:
    response = Client().get("/api/professionals/", HTTP_X_REQUEST_ID="gw-2026.12:abc_DEF-1")
    assert response.status_code == 401  # errors carry it too
    assert response["X-Request-ID"] == "gw-2026.12:abc_DEF-1"


@pytest.mark.parametrize(
    "received",
    ["a" * 65, "has space", 'quote"s', "<script>", "ção", "line\nbreak", ""],
)
@pytest.mark.django_db
def test_a_malformed_or_oversized_id_is_replaced(received: str) -> None:
    response = Client().get("/health/", HTTP_X_REQUEST_ID=received)
    assert HEX32.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_the_access_log_line_of_a_request_carries_its_id() -> None:
    Client().get("/health/", HTTP_X_REQUEST_ID="access-log-1")
    # What runserver/gunicorn log after the response, in the same thread, sees the id.
    assert request_id_get() == "access-log-1"


def test_clean_accepts_the_limit_and_refuses_other_types() -> None:
    assert request_id_clean("a" * 64) == "a" * 64
    assert request_id_clean(None) == ""
    assert request_id_clean(12345678) == ""


@pytest.fixture
def log_stream() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """The project's logging config, once in each format, writing to a buffer."""
    stream = io.StringIO()
    yield logging.getLogger("medical.test"), stream
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def _configure(log_format: str, stream: io.StringIO) -> None:
    config = logging_config(log_format=log_format, level="INFO")
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)


def test_json_lines_carry_the_request_id_once(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = log_stream
    _configure("json", stream)
    request_id_set("")  # outside any request in this thread
    token = request_id_set("req-json-1")
    try:
        logger.warning("charge %s failed", 42)
        logging.getLogger("django.request").warning("not found")
    finally:
        request_id_reset(token)
    logger.info("outside")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # one line per record: no second, plain copy
    records = [json.loads(line) for line in lines]
    assert records[0]["message"] == "charge 42 failed"
    assert records[0]["level"] == "WARNING"
    assert records[0]["logger"] == "medical.test"
    assert records[0]["request_id"] == "req-json-1"
    assert records[1]["request_id"] == "req-json-1"
    assert records[2]["request_id"] == "-"


def test_text_lines_show_the_request_id(log_stream: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = log_stream
    _configure("text", stream)
    token = request_id_set("req-text-1")
    try:
        logger.warning("hello")
    finally:
        request_id_reset(token)
    (line,) = stream.getvalue().splitlines()
    assert "WARNING [req-text-1] medical.test hello" in line


def test_production_logs_json_lines_and_development_text() -> None:
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('payments').warning('charge %s failed', 7)"
    )
    production = run("production", env=PRODUCTION_ENV, code=code)
    development = run("development", env={"LOG_FORMAT": ""}, code=code)
    assert production.returncode == 0, production.stderr
    (line,) = production.stderr.splitlines()
    record = json.loads(line)
    assert record["message"] == "charge 7 failed"
    assert record["request_id"] == "-"
    assert "WARNING [-] payments charge 7 failed" in development.stderr.splitlines()[-1]


def test_celery_headers_carry_the_id_and_the_worker_restores_it() -> None:
    headers: dict[str, object] = {}
    token = request_id_set("req-celery-1")
    try:
        celery_before_publish(headers=headers)
    finally:
        request_id_reset(token)
    assert headers == {"request_id": "req-celery-1"}

    class _Task:
        class request:
            request_id = "req-celery-1"

    before = request_id_get()
    celery_task_prerun(task_id="t1", task=_Task())
    assert request_id_get() == "req-celery-1"
    celery_task_postrun(task_id="t1")
    assert request_id_get() == before

    _Task.request.request_id = "bad id!"  # a forged header is not trusted
    celery_task_prerun(task_id="t2", task=_Task())
    assert HEX32.fullmatch(request_id_get())
    celery_task_postrun(task_id="t2")


def test_access_lines_have_no_query_string(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    _, stream = log_stream
    _configure("text", stream)
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /api/patients/?search=Maria%20Oliveira&cpf=12345678909 HTTP/1.1", 200, 10
    )
    line = stream.getvalue()
    assert '"GET /api/patients/ HTTP/1.1" 200 10' in line  # core.logging's filter, both formats
    assert "Maria" not in line
    assert "12345678909" not in line


def test_json_lines_never_carry_the_request_repr(
    log_stream: tuple[logging.Logger, io.StringIO],
) -> None:
    from django.test import RequestFactory

    _, stream = log_stream
    _configure("json", stream)
    request = RequestFactory().get("/api/patients/", {"search": "Maria Oliveira"})
    logging.getLogger("django.request").warning(
        "Unauthorized: %s", request.path, extra={"status_code": 401, "request": request}
    )
    record = json.loads(stream.getvalue())
    assert record["message"] == "Unauthorized: /api/patients/"
    assert record["status_code"] == 401
    assert "request" not in record
    assert "Maria" not in stream.getvalue()
