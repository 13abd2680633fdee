"""The read serializers as they were before the speed work (plain DRF ``ModelSerializer``s,
fields rebuilt per request), kept only as the reference of the parity test: the API's bodies
must stay byte for byte what these classes and DRF's ``JSONRenderer`` produced."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from appointments.lifecycle_views import BookingEventSerializer
from appointments.models import Appointment, Patient
from appointments.serializers import BoundedDateTimeField
from core.api.fields import ContractDecimalField
from core.documents import mask_cpf, mask_document
from payments.serializers import PaymentStatusSerializer, PaymentTransactionSerializer
from professionals.models import CLIENT_FIELDS, SERVER_OWNED_FIELDS, Professional
from professionals.schedule.serializers import (
    ScheduleExceptionSerializer,
    WorkingHoursRuleSerializer,
)


class LegacyModelSerializer(serializers.ModelSerializer[Any]):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: ContractDecimalField,
    }


class LegacyProfessionalSerializer(LegacyModelSerializer):
    class Meta:
        model = Professional
        fields = ["id", *CLIENT_FIELDS, *SERVER_OWNED_FIELDS]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        view = self.context.get("view")
        if getattr(view, "action", None) == "list" and data.get("cpf_cnpj"):
            data["cpf_cnpj"] = mask_document(data["cpf_cnpj"])
        return data


class LegacyProfessionalSummarySerializer(LegacyModelSerializer):
    class Meta:
        model = Professional
        fields = ["id", "preferred_name", "profession"]


class LegacyAppointmentSerializer(LegacyModelSerializer):
    serializer_field_mapping = {
        **LegacyModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }
    professional_data = LegacyProfessionalSummarySerializer(source="professional", read_only=True)
    asaas_invoice_url = serializers.CharField(read_only=True)
    total_amount = ContractDecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "date",
            "duration_minutes",
            "end",
            "professional",
            "professional_data",
            "patient",
            "status",
            "total_amount",
            "platform_amount",
            "professional_amount",
            "refunded_amount",
            "payment_method",
            "due_date",
            "asaas_payment_id",
            "asaas_invoice_url",
            "paid_at",
            "payment_attempts",
            "last_payment_error",
            "booking_status",
            "booking_changed_at",
            "created_at",
            "updated_at",
        ]


class LegacyPatientSerializer(LegacyModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id",
            "name",
            "cpf",
            "email",
            "phone",
            "asaas_customer_id",
            "created_at",
            "updated_at",
        ]


class LegacyPatientListSerializer(LegacyPatientSerializer):
    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["cpf"] = mask_cpf(instance.cpf)
        return data


class LegacyWorkingHoursRuleSerializer(WorkingHoursRuleSerializer):
    """DRF's own representation of the rule's fields (the breaks by their serializer, each
    instance building its fields), without the compiled plan."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, instance)


class LegacyScheduleExceptionSerializer(ScheduleExceptionSerializer):
    """DRF's own representation of the exception's fields, without the compiled plan."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, instance)


class LegacyPaymentTransactionSerializer(PaymentTransactionSerializer):
    """DRF's own representation of a ledger row, without the compiled plan."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, instance)


class LegacyPaymentStatusSerializer(PaymentStatusSerializer):
    """DRF's own representation of the payment state, its rows by the legacy ledger row."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, instance)

    def get_transactions(self, appointment: Any) -> list[dict[str, Any]]:
        recent = list(appointment.payment_transactions.all())[: self.RECENT_TRANSACTIONS]
        return list(LegacyPaymentTransactionSerializer(recent, many=True).data)


class LegacyBookingEventSerializer(BookingEventSerializer):
    """DRF's own representation of a booking event, without the compiled plan."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return serializers.ModelSerializer.to_representation(self, instance)
