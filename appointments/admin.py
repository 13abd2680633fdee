from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.audit import AdminAccessLogMixin

from .models import APPOINTMENT_SERVER_OWNED_FIELDS, Appointment, Patient


@admin.register(Appointment)
class AppointmentAdmin(AdminAccessLogMixin, SimpleHistoryAdmin):
    list_display = (
        "date",
        "end",
        "duration_minutes",
        "professional",
        "patient",
        "status",
        "total_amount",
        "created_at",
    )
    list_select_related = ("professional", "patient")
    search_fields = ("professional__preferred_name", "professional__profession", "patient__name")
    list_filter = ("status", "professional__profession", "date")
    date_hierarchy = "date"
    autocomplete_fields = ("professional", "patient")
    readonly_fields = APPOINTMENT_SERVER_OWNED_FIELDS
    ordering = ("-date",)
    list_per_page = 50


@admin.register(Patient)
class PatientAdmin(AdminAccessLogMixin, SimpleHistoryAdmin):
    list_display = ("name", "email", "created_at")
    search_fields = ("name", "email", "=cpf")
    date_hierarchy = "created_at"
    readonly_fields = ("asaas_customer_id", "created_by", "created_at", "updated_at")
    ordering = ("name",)
    list_per_page = 50
