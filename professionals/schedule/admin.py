"""Admin for working hours, exceptions (national holidays included) and calendar feeds."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CalendarFeed, ScheduleException, WorkingHoursRule


@admin.register(WorkingHoursRule)
class WorkingHoursRuleAdmin(admin.ModelAdmin[WorkingHoursRule]):
    list_display = ("professional", "weekday", "start_time", "end_time", "slot_minutes")
    list_filter = ("weekday",)
    search_fields = ("professional__preferred_name",)
    autocomplete_fields = ("professional",)
    list_select_related = ("professional",)


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin[ScheduleException]):
    list_display = ("date", "kind", "professional", "start_time", "end_time", "description")
    list_filter = ("kind", "date")
    search_fields = ("professional__preferred_name", "description")
    autocomplete_fields = ("professional",)
    list_select_related = ("professional",)
    date_hierarchy = "date"


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    """Revoke (delete) or change the opt-in; tokens are created through the API only."""

    list_display = ("professional", "include_patient_name", "created_at", "updated_at")
    readonly_fields = ("professional", "created_at", "updated_at")
    fields = ("professional", "include_patient_name", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
