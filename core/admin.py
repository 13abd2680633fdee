from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLog, AuditPurge


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records kept as evidence (ledgers, audit trails): operators read them, nobody edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Who read which personal record, when and from where."""

    list_display = (
        "created_at",
        "actor_username",
        "action",
        "content_type",
        "object_id",
        "ip_address",
    )
    list_filter = ("action", "content_type", "created_at")
    search_fields = ("actor_username", "object_id", "ip_address")
    date_hierarchy = "created_at"
    list_select_related = ("content_type",)


@admin.register(AuditPurge)
class AuditPurgeAdmin(ReadOnlyAdmin):
    """Each run of purge_audit (the purge itself is kept as evidence)."""

    list_display = ("created_at", "performed_by", "retention_days", "forced", "total")
    list_filter = ("forced",)
