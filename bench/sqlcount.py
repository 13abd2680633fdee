"""``X-Bench-SQL``: the database round trips of a request (bench settings only).

- statements: every SQL statement Django sends (``connection.execute_wrapper``), savepoints
  included;
- transactions: every COMMIT or ROLLBACK of a transaction Django opened (``transaction.atomic``
  outside autocommit); each one is two round trips, BEGIN and COMMIT, that the execute wrapper
  does not see;
- health checks: with ``CONN_HEALTH_CHECKS`` on (production's default), a reused connection is
  checked (psycopg ``SELECT 1``, outside the execute wrapper) before the request's first
  query; counted too.

``X-Bench-SQL`` is statements + 2 × transactions + health checks; ``X-Bench-SQL-Detail`` says
``statements=…;transactions=…;health_checks=…``. Only a request that asks for it
(``X-Bench-Count-SQL: 1``, the harness's probe before each measurement) is counted: the
requests wrk times carry none of the counting's cost, which the floor does not pay either.
Gunicorn's sync workers serve one request at a time per process; only the thread serving it
is counted (the read-audit writer thread commits its batches on a connection of its own, at
moments unrelated to the request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse

HEADER = "X-Bench-SQL"
#: The request header asking for the count.
ASK_HEADER = "X-Bench-Count-SQL"
_ASK_META = "HTTP_" + ASK_HEADER.upper().replace("-", "_")
DETAIL_HEADER = "X-Bench-SQL-Detail"


class Counters:
    statements = 0
    transactions = 0
    health_checks = 0
    thread: int | None = None  # the thread serving the request being counted

    @classmethod
    def reset(cls) -> None:
        cls.statements = cls.transactions = cls.health_checks = 0
        cls.thread = threading.get_ident()

    @classmethod
    def counting(cls) -> bool:
        return threading.get_ident() == cls.thread

    @classmethod
    def take_health_checks(cls) -> int:
        taken, cls.health_checks = cls.health_checks, 0
        return taken


def _count_statement(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    Counters.statements += 1
    return execute(sql, params, many, context)


_patched = False


def install_counters() -> None:
    """Wrap ``is_usable`` (the health check), ``_commit`` and ``_rollback`` of the database
    wrapper class, once per process."""
    global _patched
    if _patched:
        return
    _patched = True
    wrapper: type[BaseDatabaseWrapper] = type(connections[DEFAULT_DB_ALIAS])
    original_usable = wrapper.is_usable
    original_commit = wrapper._commit  # type: ignore[attr-defined]
    original_rollback = wrapper._rollback  # type: ignore[attr-defined]

    def is_usable(self: BaseDatabaseWrapper) -> bool:
        if Counters.counting():
            Counters.health_checks += 1
        return bool(original_usable(self))

    def _commit(self: BaseDatabaseWrapper) -> None:
        if not self.get_autocommit() and Counters.counting():
            Counters.transactions += 1
        original_commit(self)

    def _rollback(self: BaseDatabaseWrapper) -> None:
        if not self.get_autocommit() and Counters.counting():
            Counters.transactions += 1
        original_rollback(self)

    wrapper.is_usable = is_usable  # type: ignore[method-assign]
    wrapper._commit = _commit  # type: ignore[attr-defined]
    wrapper._rollback = _rollback  # type: ignore[attr-defined]


def header_value(statements: int, transactions: int, health_checks: int) -> tuple[str, str]:
    total = statements + 2 * transactions + health_checks
    detail = f"statements={statements};transactions={transactions};health_checks={health_checks}"
    return str(total), detail


class SqlCountMiddleware:
    """Counts the request's round trips to PostgreSQL into ``X-Bench-SQL``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        install_counters()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _ASK_META not in request.META:
            return self.get_response(request)
        Counters.reset()
        with connection.execute_wrapper(_count_statement):
            response = self.get_response(request)
        total, detail = header_value(
            Counters.statements, Counters.transactions, Counters.take_health_checks()
        )
        response[HEADER] = total
        response[DETAIL_HEADER] = detail
        return response
