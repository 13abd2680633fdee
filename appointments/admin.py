from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    list_display = ("date", "end", "duration_minutes", "professional", "created_at")
    list_select_related = ("professional",)
    search_fields = ("professional__preferred_name", "professional__profession")
    list_filter = ("professional__profession", "date")
    date_hierarchy = "date"
    autocomplete_fields = ("professional",)
    readonly_fields = ("end", "created_at", "updated_at")
    ordering = ("-date",)
    list_per_page = 50
