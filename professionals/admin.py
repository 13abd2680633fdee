from django.contrib import admin

from .models import Professional


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin[Professional]):
    list_display = ("preferred_name", "profession", "contact", "created_at", "updated_at")
    list_display_links = ("preferred_name",)
    search_fields = ("preferred_name", "profession", "contact")
    list_filter = ("profession", "created_at")
    date_hierarchy = "created_at"
    ordering = ("preferred_name",)
    readonly_fields = ("created_at", "updated_at")
    list_per_page = 50
