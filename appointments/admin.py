from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import MoneyAdminMixin
from core.audit import AdminAccessLogMixin
from core.exceptions import DomainError

from . import services
from .billing import appointment_billing_guard
from .models import APPOINTMENT_SERVER_OWNED_FIELDS, Appointment, Patient

#: What an operator may edit; payment fields are the payments app's (never from the admin,
#: never from a history revert).
APPOINTMENT_CLIENT_FIELDS = tuple(
    field.name
    for field in Appointment._meta.concrete_fields
    if field.editable
    and not field.primary_key
    and field.name not in APPOINTMENT_SERVER_OWNED_FIELDS
)


class AppointmentAdminForm(forms.ModelForm[Appointment]):
    class Meta:
        model = Appointment
        fields = APPOINTMENT_CLIENT_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if self.instance.pk is None:
            return cleaned
        current = Appointment.objects.filter(pk=self.instance.pk).first()
        if current is None:
            raise ValidationError("Não encontrado.")
        changed = {
            name
            for name in APPOINTMENT_CLIENT_FIELDS
            if name in cleaned and cleaned[name] != getattr(current, name)
        }
        try:
            # The same rule as the API: billing inputs are frozen once a charge was issued.
            appointment_billing_guard(appointment=current, changed=changed)
        except DomainError as error:
            raise ValidationError(error.message) from error
        return cleaned


@admin.register(Appointment)
class AppointmentAdmin(MoneyAdminMixin, AdminAccessLogMixin, SimpleHistoryAdmin):
    form = AppointmentAdminForm
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

    def save_model(self, request: HttpRequest, obj: Appointment, form: Any, change: bool) -> None:
        """Through the services: the same rules as the API, and only client fields are
        written — a history revert cannot restore payment fields."""
        data = {name: getattr(obj, name) for name in APPOINTMENT_CLIENT_FIELDS}
        # The admin is the operators' back office: like staff with allow_outside_hours, it
        # may book outside a professional's working hours (the API refuses that by default).
        if change:
            saved = services.appointment_update(
                appointment=obj, data=data, allow_outside_hours=True
            )
        else:
            saved = services.appointment_create(**data, allow_outside_hours=True)
        obj.pk = saved.pk
        for name in APPOINTMENT_SERVER_OWNED_FIELDS:
            setattr(obj, name, getattr(saved, name))


@admin.register(Patient)
class PatientAdmin(AdminAccessLogMixin, SimpleHistoryAdmin):
    list_display = ("name", "email", "created_at")
    search_fields = ("name", "email", "=cpf")
    date_hierarchy = "created_at"
    readonly_fields = (
        "asaas_customer_id",
        "asaas_customer_claimed_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    ordering = ("name",)
    list_per_page = 50
