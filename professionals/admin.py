from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import MoneyAdminMixin
from core.audit import AdminAccessLogMixin

from .models import SERVER_OWNED_FIELDS, Professional


@admin.register(Professional)
class ProfessionalAdmin(MoneyAdminMixin, AdminAccessLogMixin, SimpleHistoryAdmin):
    list_display = (
        "preferred_name",
        "profession",
        "contact",
        "integration_status",
        "user",
        "created_at",
    )
    list_display_links = ("preferred_name",)
    list_select_related = ("user",)
    search_fields = ("preferred_name", "profession", "contact", "email")
    list_filter = ("profession", "integration_status", "created_at")
    date_hierarchy = "created_at"
    ordering = ("preferred_name",)
    autocomplete_fields = ("user",)
    readonly_fields = SERVER_OWNED_FIELDS
    list_per_page = 50


from .schedule import admin as schedule_admin  # noqa: E402,F401  (registers the schedule models)
