from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin[AccessLog]):
    """Who read which personal record, when and from where (read-only evidence)."""

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
