"""Audit helpers: client IP, read-access logging and the history model base.

Read-access records (LGPD) are buffered per process when ``AUDIT_BUFFER_SECONDS`` > 0 (the
default, 1 s): a request only appends them to memory, and a background thread writes them in
one ``INSERT`` every ``AUDIT_BUFFER_SECONDS`` or as soon as ``AUDIT_BUFFER_RECORDS`` are
waiting, and at the process's exit (gunicorn's graceful stop, ``max_requests`` restarts).
What a crash (SIGKILL, OOM, power loss) can lose is bounded: the records of the last
``AUDIT_BUFFER_SECONDS`` of that process. Nothing else depends on the buffer — writes and money
never wait for it nor share its transaction; ``created_at`` is when the batch was written
(at most ``AUDIT_BUFFER_SECONDS`` after the read). With ``AUDIT_BUFFER_SECONDS = 0`` each read
is written synchronously (the tests' setting). See docs/DESEMPENHO.md.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    models,
    transaction,
)
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .models import AccessAction, AccessLog


def client_ip(request: HttpRequest) -> str | None:
    """The client address; ``X-Forwarded-For`` only counts behind ``NUM_PROXIES`` proxies."""
    proxies = int(getattr(settings, "NUM_PROXIES", 0))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return str(hops[-proxies])
    remote: str | None = request.META.get("REMOTE_ADDR") or None
    return remote


logger = logging.getLogger("core.audit")

#: Records kept for a retry when the database refuses a batch; past it the oldest are dropped
#: (with an error logged): the buffer never grows without bound.
BUFFER_HARD_LIMIT = 20_000


#: A read record waiting to be written: the columns its request shares with the other rows
#: it read (``access_log_record``), and the id of the row read.
Pending = tuple[dict[str, Any], str]


def access_log_insert(rows: list[Pending], *, batch_size: int = 1000) -> None:
    """Write read records, one ``INSERT`` per ``batch_size``, all or none.

    On PostgreSQL an access record goes straight into the statement — one ``INSERT ... SELECT
    FROM unnest(<one array per column>)``, adapted in a few calls whatever the number of rows:
    it is append-only, with no signal, history or default to honour, and ``bulk_create``
    builds and prepares a model instance per row (a listed page is 20 of them, and that was
    a tenth of the request). Elsewhere (SQLite, without a server) one multi-row ``VALUES``.
    Every record of a batch has the same ``created_at``."""
    if not rows:
        return
    connection = connections[AccessLog.objects.db]
    quote = connection.ops.quote_name
    names = (
        "actor_id",
        "actor_username",
        "action",
        "content_type_id",
        "object_id",
        "ip_address",
        "user_agent",
        "path",
        "created_at",
    )
    # Identifiers from the model's meta, values as parameters.
    head = (
        f"INSERT INTO {quote(AccessLog._meta.db_table)} "
        f"({', '.join(quote(name) for name in names)}) "
    )
    postgres = connection.vendor == "postgresql"
    now = timezone.now()  # one batch, one moment
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            values = [
                (
                    *(columns[name] for name in names[:4]),
                    object_id,
                    columns["ip_address"] or None,
                    columns["user_agent"],
                    columns["path"],
                )
                for columns, object_id in rows[start : start + batch_size]
            ]
            if postgres:
                cursor.execute(
                    head  # noqa: S608
                    + "SELECT *, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], "
                    "%s::bigint[], %s::text[], %s::inet[], %s::text[], %s::text[])",
                    [now, *(list(column) for column in zip(*values, strict=True))],
                )
            else:
                created_at = connection.ops.adapt_datetimefield_value(now)
                cursor.execute(
                    head
                    + "VALUES "
                    + ", ".join([f"({', '.join(['%s'] * len(names))})"] * len(values)),
                    [value for row in values for value in (*row, created_at)],
                )


class AccessLogBuffer:
    """Read-access records waiting to be written, with the thread that writes them."""

    def __init__(self) -> None:
        # Records wait as (their columns, the object id): no model instance on the request's
        # path.
        self._rows: list[Pending] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def add(self, rows: Iterable[Pending]) -> None:
        with self._lock:
            self._rows.extend(rows)
            if len(self._rows) >= int(settings.AUDIT_BUFFER_RECORDS):
                self._wake.notify()
        self._ensure_thread()

    def flush(self) -> int:
        """Write what is waiting (one INSERT per ``AUDIT_BUFFER_RECORDS``); returns how many."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            access_log_insert(rows, batch_size=int(settings.AUDIT_BUFFER_RECORDS))
        except (OperationalError, InterfaceError) as error:  # database down: keep, retry later
            with self._lock:
                self._rows[:0] = rows
                dropped = max(len(self._rows) - BUFFER_HARD_LIMIT, 0)
                del self._rows[:dropped]
            logger.error(
                "access log batch not written (%d waiting, %d dropped): %s",
                len(rows),
                dropped,
                type(error).__name__,
            )
            return 0
        except DatabaseError as error:  # a record the database refuses: retrying cannot help
            logger.error(
                "access log batch refused, %d records dropped: %s", len(rows), type(error).__name__
            )
            return 0
        return len(rows)

    def clear(self) -> int:
        """Forget what is waiting (tests); returns how many records were dropped."""
        with self._lock:
            dropped = len(self._rows)
            self._rows = []
        return dropped

    def stop(self) -> None:
        """Write what is waiting and end the writer thread, closing its database connection
        (tests: the test database can then be dropped). The next record starts a new one."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            with self._lock:
                self._stopping = True
                self._wake.notify()
            thread.join(timeout=5)
        self._stopping = False
        self.flush()

    def _ensure_thread(self) -> None:
        # Started lazily and again in a forked child (a gunicorn worker inherits no thread).
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        last = time.monotonic()
        while True:
            # Short waits: a change of the settings (tests) is seen within a quarter second.
            with self._lock:
                full = self._wake.wait_for(
                    lambda: self._stopping or len(self._rows) >= int(settings.AUDIT_BUFFER_RECORDS),
                    timeout=0.25,
                )
                stopping = self._stopping
            if stopping:
                self.flush()
                connections.close_all()
                return
            interval = float(settings.AUDIT_BUFFER_SECONDS) or 1.0
            if not full and time.monotonic() - last < interval:
                continue
            last = time.monotonic()
            try:
                self.flush()
                close_old_connections()  # honours CONN_MAX_AGE, drops broken connections
            except Exception as error:  # noqa: BLE001 - the writer must outlive any failure
                logger.error("access log writer: %s", type(error).__name__)


access_log_buffer = AccessLogBuffer()
atexit.register(access_log_buffer.flush)


def access_log_record(*, request: HttpRequest, objects: Iterable[models.Model], action: str) -> int:
    """Record that ``request.user`` read ``objects``: buffered (see the module's docstring) or,
    with ``AUDIT_BUFFER_SECONDS = 0``, one INSERT now whatever their number."""
    rows = list(objects)
    if not rows:
        return 0
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    content_type = ContentType.objects.get_for_model(type(rows[0]))
    common: dict[str, Any] = {
        "actor_id": user.pk if authenticated and user is not None else None,
        "actor_username": user.get_username() if authenticated and user is not None else "",
        "action": action,
        "content_type_id": content_type.pk,
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        "path": request.path[:255],  # never the query string: it may carry a CPF or a name
    }
    pending = [(common, str(row.pk)) for row in rows]
    if float(getattr(settings, "AUDIT_BUFFER_SECONDS", 0)) > 0:
        access_log_buffer.add(pending)
    else:
        access_log_insert(pending)
    return len(rows)


class AuditedHistoryModel(models.Model):
    """Base of every historical (change-history) model: who changed it from which IP."""

    ip_address = models.GenericIPAddressField(_("IP"), null=True, blank=True)

    class Meta:
        abstract = True


def audited_history() -> HistoricalRecords:
    return HistoricalRecords(bases=[AuditedHistoryModel], cascade_delete_history=False)


@receiver(pre_create_historical_record, dispatch_uid="core.audit.history_ip")
def _stamp_history_ip(sender: Any, **kwargs: Any) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    history = kwargs.get("history_instance")
    if request is not None and history is not None:
        history.ip_address = client_ip(request)


class AccessLoggedMixin:
    """For viewsets of personal data: record every read (detail and each listed row).
    ``audited_actions`` narrows it (professionals: the detail, with the full CPF/CNPJ)."""

    audited_actions: tuple[str, ...] = ("retrieve", "list")

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().retrieve(request, *args, **kwargs)  # type: ignore[misc]
        instance = getattr(self, "_audited_instance", None)
        if instance is not None and "retrieve" in self.audited_actions:
            access_log_record(request=request, objects=[instance], action=AccessAction.RETRIEVE)
        return response

    def get_object(self) -> Any:
        instance = super().get_object()  # type: ignore[misc]
        self._audited_instance = instance
        return instance

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        if (
            page is not None
            and getattr(self, "action", None) == "list"
            and "list" in self.audited_actions
        ):
            access_log_record(request=self.request, objects=page, action=AccessAction.LIST)  # type: ignore[attr-defined]
        return page


class AdminAccessLogMixin:
    """For admin pages of personal data: record who opened a record (change form) and which
    rows a list page showed (searches included; the path is stored without the query)."""

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            original = (getattr(response, "context_data", None) or {}).get("original")
            if original is not None:
                access_log_record(request=request, objects=[original], action=AccessAction.RETRIEVE)
        return response

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            access_log_record(
                request=request, objects=changelist.result_list, action=AccessAction.LIST
            )
        return response
