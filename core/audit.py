"""Audit helpers: client IP, read-access logging and the history model base."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest
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


def access_log_record(*, request: HttpRequest, objects: Iterable[models.Model], action: str) -> int:
    """Record that ``request.user`` read ``objects`` (one INSERT whatever their number)."""
    rows = list(objects)
    if not rows:
        return 0
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    content_type = ContentType.objects.get_for_model(type(rows[0]))
    common: dict[str, Any] = {
        "actor": user if authenticated else None,
        "actor_username": user.get_username() if authenticated and user is not None else "",
        "action": action,
        "content_type": content_type,
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:255],
        "path": request.path[:255],  # never the query string: it may carry a CPF or a name
    }
    AccessLog.objects.bulk_create(AccessLog(object_id=str(row.pk), **common) for row in rows)
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
