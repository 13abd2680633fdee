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
from collections.abc import Iterable, Iterator
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


#: The read records of one request waiting to be written: the columns they share
#: (``access_log_record``) and the ids of the rows read, one record each.
Pending = tuple[dict[str, Any], tuple[str, ...]]

#: The record columns, in the order the statements write them.
_COLUMNS = (
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


def _records(pending: Iterable[Pending]) -> int:
    return sum(len(object_ids) for _shared, object_ids in pending)


def _batches(pending: list[Pending], batch_size: int) -> Iterator[list[Pending]]:
    """Consecutive requests, at least ``batch_size`` records a batch (a request's records are
    never split: a listed page is at most ``max_page_size``)."""
    batch: list[Pending] = []
    size = 0
    for entry in pending:
        batch.append(entry)
        size += len(entry[1])
        if size >= batch_size:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def access_log_insert(pending: list[Pending], *, batch_size: int = 1000) -> None:
    """Write read records, one ``INSERT`` per ``batch_size`` records, all or none.

    On PostgreSQL a batch goes straight into one ``INSERT ... SELECT``: one array per shared
    column with one element per request, plus every object id in one flat array that each
    request slices (``unnest(ids[first:last])``) — the database makes the rows, so a listed
    page of 20 costs the writer one tuple, not 20 (adapting an array element per column per
    record was 14 µs of the worker's CPU a record, more than the rest of the write). It is
    append-only, with no signal, history or default to honour: no model instance either.
    Elsewhere (SQLite, without a server) one multi-row ``VALUES``. Every record of a batch
    has the same ``created_at``."""
    if not pending:
        return
    connection = connections[AccessLog.objects.db]
    quote = connection.ops.quote_name
    # Identifiers from the model's meta, values as parameters.
    head = (
        f"INSERT INTO {quote(AccessLog._meta.db_table)} "
        f"({', '.join(quote(name) for name in _COLUMNS)}) "
    )
    postgres = connection.vendor == "postgresql"
    now = timezone.now()  # one batch, one moment
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for batch in _batches(pending, batch_size):
            if postgres:
                cursor.execute(*_postgres_insert(head, now, batch))
                continue
            created_at = connection.ops.adapt_datetimefield_value(now)
            rows: list[tuple[Any, ...]] = []
            for shared, object_ids in batch:
                values = _shared_values(shared)
                rows.extend(
                    (*values[:4], object_id, *values[4:], created_at) for object_id in object_ids
                )
            row_sql = f"({', '.join(['%s'] * len(_COLUMNS))})"
            cursor.execute(
                head + "VALUES " + ", ".join([row_sql] * len(rows)),
                [value for row in rows for value in row],
            )


def _shared_values(shared: dict[str, Any]) -> tuple[Any, ...]:
    """The shared columns' values in ``_COLUMNS``' order (object id and moment aside); an
    empty address is no address."""
    return (
        shared["actor_id"],
        shared["actor_username"],
        shared["action"],
        shared["content_type_id"],
        shared["ip_address"] or None,
        shared["user_agent"],
        shared["path"],
    )


def _postgres_insert(head: str, now: Any, batch: list[Pending]) -> tuple[str, list[Any]]:
    shared = [_shared_values(columns) for columns, _object_ids in batch]
    object_ids: list[str] = []
    bounds: list[tuple[int, int]] = []
    for _columns, ids in batch:
        bounds.append((len(object_ids) + 1, len(object_ids) + len(ids)))  # 1-based, inclusive
        object_ids.extend(ids)
    sql = (
        head + "SELECT r.actor_id, r.actor_username, r.action, r.content_type_id, o.object_id, "
        "r.ip_address, r.user_agent, r.path, %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::inet[], "
        "%s::text[], %s::text[], %s::int[], %s::int[]) "
        "AS r(actor_id, actor_username, action, content_type_id, ip_address, user_agent, path, "
        "first, last) "
        "CROSS JOIN LATERAL unnest((%s::text[])[r.first:r.last]) AS o(object_id)"
    )
    columns = [list(column) for column in zip(*shared, strict=True)]
    firsts, lasts = (list(side) for side in zip(*bounds, strict=True))
    return sql, [now, *columns, firsts, lasts, object_ids]


class AccessLogBuffer:
    """Read-access records waiting to be written, with the thread that writes them."""

    def __init__(self) -> None:
        # Records wait as one entry per request (the columns they share, the ids read): no
        # model instance on the request's path, one tuple for a listed page.
        self._pending: list[Pending] = []
        self._records = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def __len__(self) -> int:
        """The records waiting."""
        with self._lock:
            return self._records

    def add(self, pending: Iterable[Pending]) -> None:
        entries = list(pending)
        with self._lock:
            self._pending.extend(entries)
            self._records += _records(entries)
            if self._records >= int(settings.AUDIT_BUFFER_RECORDS):
                self._wake.notify()
        self._ensure_thread()

    def flush(self) -> int:
        """Write what is waiting (one INSERT per ``AUDIT_BUFFER_RECORDS``); returns how many
        records."""
        with self._lock:
            pending, self._pending = self._pending, []
            records, self._records = self._records, 0
        if not pending:
            return 0
        try:
            access_log_insert(pending, batch_size=int(settings.AUDIT_BUFFER_RECORDS))
        except (OperationalError, InterfaceError) as error:  # database down: keep, retry later
            with self._lock:
                self._pending[:0] = pending
                self._records += records
                dropped = self._drop_oldest()
            logger.error(
                "access log batch not written (%d waiting, %d dropped): %s",
                records,
                dropped,
                type(error).__name__,
            )
            return 0
        except DatabaseError as error:  # a record the database refuses: retrying cannot help
            logger.error(
                "access log batch refused, %d records dropped: %s", records, type(error).__name__
            )
            return 0
        return records

    def _drop_oldest(self) -> int:
        """Past ``BUFFER_HARD_LIMIT`` records, the oldest requests' records are dropped (under
        the lock); returns how many."""
        dropped = 0
        oldest = 0
        while self._records - dropped > BUFFER_HARD_LIMIT and oldest < len(self._pending):
            dropped += len(self._pending[oldest][1])
            oldest += 1
        del self._pending[:oldest]
        self._records -= dropped
        return dropped

    def clear(self) -> int:
        """Forget what is waiting (tests); returns how many records were dropped."""
        with self._lock:
            dropped = self._records
            self._pending, self._records = [], 0
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
                    lambda: self._stopping or self._records >= int(settings.AUDIT_BUFFER_RECORDS),
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
# ``stop``, not ``flush``: a batch the writer thread is writing when the process exits is
# waited for (a daemon thread dies with the process, its open transaction with it).
atexit.register(access_log_buffer.stop)


def access_log_record(
    *,
    request: HttpRequest,
    objects: Iterable[models.Model],
    action: str,
    actor: tuple[Any, str] | None = None,
) -> int:
    """Record that ``request.user`` — or ``actor`` (its id and username) when given — read
    ``objects``: buffered (see the module's docstring) or, with ``AUDIT_BUFFER_SECONDS = 0``,
    one INSERT now whatever their number."""
    rows = list(objects)
    if not rows:
        return 0
    if actor is None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = (user.pk, user.get_username())
    content_type = ContentType.objects.get_for_model(type(rows[0]))
    common: dict[str, Any] = {
        "actor_id": None if actor is None else actor[0],
        "actor_username": "" if actor is None else actor[1],
        "action": action,
        "content_type_id": content_type.pk,
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        "path": request.path[:255],  # never the query string: it may carry a CPF or a name
    }
    pending = [(common, tuple(str(row.pk) for row in rows))]
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
