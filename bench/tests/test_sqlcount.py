"""The SQL-count middleware of bench runs."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from bench.sqlcount import (
    ASK_HEADER,
    DETAIL_HEADER,
    HEADER,
    Counters,
    SqlCountMiddleware,
    header_value,
)


def _asking() -> HttpRequest:
    """A request asking for the count, as the harness's probe does."""
    return RequestFactory().get("/", headers={ASK_HEADER: "1"})


def test_header_value_adds_begin_commit_and_health_checks() -> None:
    assert header_value(3, 1, 1) == ("6", "statements=3;transactions=1;health_checks=1")
    assert header_value(0, 0, 0) == ("0", "statements=0;transactions=0;health_checks=0")


@pytest.mark.django_db
def test_counts_the_statements_of_the_request() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT 2")
        return HttpResponse("ok")

    middleware = SqlCountMiddleware(view)
    response = middleware(_asking())
    assert response[HEADER] == "2"
    assert response[DETAIL_HEADER].startswith("statements=2;transactions=0")
    # The next request starts from zero.
    response = SqlCountMiddleware(lambda request: HttpResponse("none"))(_asking())
    assert response[HEADER] == "0"


@pytest.mark.django_db
def test_requests_that_do_not_ask_are_not_counted() -> None:
    """wrk's requests: no wrapper, no header (the floor does not pay for counting either)."""
    seen: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(len(connection.execute_wrappers))
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return HttpResponse("ok")

    response = SqlCountMiddleware(view)(RequestFactory().get("/"))
    assert HEADER not in response
    assert DETAIL_HEADER not in response
    assert seen == [0]
    assert SqlCountMiddleware(view)(_asking())[HEADER] == "1"
    assert seen == [0, 1]


@pytest.mark.django_db(transaction=True)
def test_counts_a_transaction_as_begin_and_commit() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            get_user_model().objects.create(username="counted")
        return HttpResponse("ok")

    response = SqlCountMiddleware(view)(_asking())
    detail = dict(part.split("=") for part in response[DETAIL_HEADER].split(";"))
    assert detail["transactions"] == "1"
    statements = int(detail["statements"])
    assert statements >= 1
    assert int(response[HEADER]) == statements + 2 + int(detail["health_checks"])


@pytest.mark.django_db
def test_health_checks_are_counted(monkeypatch: Any) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        connection.is_usable()  # what CONN_HEALTH_CHECKS runs before the first query
        return HttpResponse("ok")

    response = SqlCountMiddleware(view)(_asking())
    assert response[DETAIL_HEADER].endswith("health_checks=1")
    assert response[HEADER] == "1"
    assert Counters.health_checks == 0


@pytest.mark.django_db(transaction=True)
def test_another_threads_transactions_are_not_the_requests() -> None:
    """The read-audit writer commits its batches from a thread of its own, whenever its
    window ends: a request in flight at that moment must not be charged for them."""

    def commit_elsewhere() -> None:
        try:
            with transaction.atomic():
                get_user_model().objects.create(username="other-thread")
        finally:
            connection.close()

    def view(request: HttpRequest) -> HttpResponse:
        thread = threading.Thread(target=commit_elsewhere)
        thread.start()
        thread.join()
        return HttpResponse("ok")

    response = SqlCountMiddleware(view)(_asking())
    assert get_user_model().objects.filter(username="other-thread").exists()
    assert response[DETAIL_HEADER] == "statements=0;transactions=0;health_checks=0"
    assert response[HEADER] == "0"
