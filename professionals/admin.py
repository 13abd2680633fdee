from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Professional


@admin.register(Professional)
class ProfessionalAdmin(SimpleHistoryAdmin):
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
    readonly_fields = (
        "asaas_account_id",
        "integration_status",
        "integration_error",
        "asaas_created_at",
        "asaas_updated_at",
        "created_at",
        "updated_at",
    )
    list_per_page = 50
