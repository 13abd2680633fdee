"""Request ids: one id per HTTP request, carried into the Celery tasks it enqueues.

The id comes from the client's ``X-Request-ID`` header when it is well formed (letters, digits
and ``-_.:``, at most 64 characters), otherwise a new UUID4 hex is generated. It is returned in
the response's ``X-Request-ID`` header, added to every log record (``request_id``), sent as a
Celery message header and restored in the worker, and stored on ledger rows and webhook events.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
MAX_LENGTH = 64
_VALID = re.compile(rf"^[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}$")
_current: ContextVar[str] = ContextVar("request_id", default="")


def request_id_get() -> str:
    """The id of the request (or task) being handled, ``""`` outside of one."""
    return _current.get()


def request_id_set(value: str) -> Token[str]:
    return _current.set(value)


def request_id_reset(token: Token[str]) -> None:
    _current.reset(token)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_clean(value: object) -> str:
    """The value when it is an acceptable id, else ``""`` (never raises)."""
    if isinstance(value, str) and _VALID.fullmatch(value):
        return value
    return ""


_META_KEY = "HTTP_" + HEADER.upper().replace("-", "_")


def request_id_begin(request: HttpRequest) -> str:
    """The request's id — the client's when acceptable, else a new one; the one already given
    to it when it has one (a fast path that passed it on) — set on the request and as the
    current id. Not reset on the way out: the server's access-log line, written after the
    response in the same thread, carries it too; the next request sets its own."""
    request_id: str = getattr(request, "request_id", "") or (
        request_id_clean(request.META.get(_META_KEY)) or request_id_new()
    )
    request.request_id = request_id  # type: ignore[attr-defined]
    request_id_set(request_id)
    return request_id


class RequestIdMiddleware:
    """Accepts or generates the request id and returns it in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_begin(request)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds ``record.request_id`` (``"-"`` outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_get() or "-"
        return True


# --- Celery -----------------------------------------------------------------------------------
CELERY_HEADER = "request_id"
_task_tokens: dict[str, Token[str]] = {}


def celery_before_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Publisher side: the current id travels as a message header."""
    request_id = request_id_get()
    if headers is not None and request_id and CELERY_HEADER not in headers:
        headers[CELERY_HEADER] = request_id


def celery_task_prerun(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    """Worker side: the task runs under the id of the request that enqueued it (or a new one)."""
    received = getattr(getattr(task, "request", None), CELERY_HEADER, None)
    _task_tokens[task_id] = request_id_set(request_id_clean(received) or request_id_new())


def celery_task_postrun(task_id: str = "", **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            request_id_reset(token)
        except ValueError:  # set in another context (thread pools): just clear it
            _current.set("")


def celery_signals_connect() -> None:
    from celery import signals

    signals.before_task_publish.connect(celery_before_publish, weak=False)
    signals.task_prerun.connect(celery_task_prerun, weak=False)
    signals.task_postrun.connect(celery_task_postrun, weak=False)
