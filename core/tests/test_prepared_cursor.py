"""``core.db.prepared_cursor``: server-bound parameters, statements prepared once they repeat,
and still Django's cursor (its errors, its execute wrappers, its query log)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import PREPARE_THRESHOLD, prepared_cursor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

STATEMENT = "SELECT %s::int + 1 AS answer"


def _prepared_here(text: str) -> list[str]:
    """The statements this connection has prepared whose text holds ``text``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall() if text in row[0]]


def _run(times: int, value: int = 41) -> list[Any]:
    answers = []
    for _ in range(times):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, [value])
            answers.append(cursor.fetchone()[0])
    return answers


def test_parameters_are_bound_by_the_server() -> None:
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, [41])
        assert cursor.fetchone()[0] == 42
        # psycopg sent $1, not the value written into the text (client-side binding).
        assert b"$1" in cursor.cursor._query.query


def test_a_statement_is_prepared_once_it_repeats() -> None:
    assert _run(PREPARE_THRESHOLD - 1) == [42] * (PREPARE_THRESHOLD - 1)
    assert _prepared_here("::int + 1") == []
    assert _run(2, value=1) == [2, 2]
    assert _prepared_here("::int + 1") == ["SELECT $1::int + 1 AS answer"]


def test_django_cursors_still_bind_on_the_client_and_never_prepare() -> None:
    for _ in range(PREPARE_THRESHOLD + 2):
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::int + 2 AS other", [1])
    assert _prepared_here("+ 2 AS other") == []


def test_turned_off_it_binds_on_the_server_without_preparing(settings: Any) -> None:
    settings.DB_PREPARED_STATEMENTS = False
    assert _run(PREPARE_THRESHOLD + 2) == [42] * (PREPARE_THRESHOLD + 2)
    assert _prepared_here("::int + 1") == []


def test_statements_go_through_the_execute_wrappers_and_the_query_log() -> None:
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
        _run(2)
    assert seen == [STATEMENT, STATEMENT]
    assert len(captured.captured_queries) == 2


def test_errors_are_django_database_errors_and_the_connection_stays_usable() -> None:
    # (The test's own transaction: a savepoint keeps it usable after the error.)
    with pytest.raises(DatabaseError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT 1 / %s::int", [0])
    assert _run(1) == [42]
