from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appointments.models import MAX_TOTAL_AMOUNT, Appointment
from core.api.compiled import CompiledReadMixin
from core.api.fields import ContractDecimalField, strict_string_class
from payments.models import PaymentTransaction


class RefundRequestSerializer(serializers.Serializer[None]):
    amount = ContractDecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_TOTAL_AMOUNT,
        required=False,
        allow_null=True,
        help_text=_("Valor a reembolsar; sem valor, reembolsa o saldo integral."),
    )
    description = strict_string_class(serializers.CharField)(
        max_length=500, required=False, allow_blank=True
    )


class PaymentTransactionSerializer(
    CompiledReadMixin, serializers.ModelSerializer[PaymentTransaction]
):
    class Meta:
        model = PaymentTransaction
        fields = [
            "id",
            "transaction_type",
            "status",
            "amount",
            "asaas_payment_id",
            "error_message",
            "created_at",
        ]
        read_only_fields = fields


class PaymentStatusSerializer(CompiledReadMixin, serializers.ModelSerializer[Appointment]):
    """An appointment's payment state and its latest ledger rows."""

    #: ``get_transactions`` reads only the appointment (its prefetched rows).
    INSTANCE_METHODS = frozenset({"transactions"})

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    # Plain text: both are empty until the charge exists (no "uri" format, no blank enum).
    payment_method = serializers.CharField(read_only=True)
    asaas_invoice_url = serializers.CharField(read_only=True)
    transactions = serializers.SerializerMethodField()

    RECENT_TRANSACTIONS = 20

    class Meta:
        model = Appointment
        fields = [
            "id",
            "status",
            "status_display",
            "total_amount",
            "platform_amount",
            "professional_amount",
            "refunded_amount",
            "payment_method",
            "due_date",
            "paid_at",
            "asaas_payment_id",
            "asaas_invoice_url",
            "payment_attempts",
            "last_payment_error",
            "transactions",
        ]
        read_only_fields = fields

    @extend_schema_field(PaymentTransactionSerializer(many=True))
    def get_transactions(self, appointment: Appointment) -> list[dict[str, Any]]:
        # Newest first, from the prefetched rows (no query per appointment).
        recent = list(appointment.payment_transactions.all())[: self.RECENT_TRANSACTIONS]
        return list(PaymentTransactionSerializer(recent, many=True).data)


class WebhookAckSerializer(serializers.Serializer[None]):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()


class AsaasWebhookEventSerializer(serializers.Serializer[None]):
    """The webhook body as documented (the view reads the raw JSON; this is its contract)."""

    id = serializers.RegexField(r"\S", max_length=255, help_text=_("Id único do evento."))
    event = serializers.RegexField(
        r"\S", max_length=64, help_text=_("Tipo do evento (ex.: PAYMENT_RECEIVED).")
    )
    dateCreated = serializers.CharField(required=False, allow_blank=True)
    payment = serializers.DictField(required=False, help_text=_("O objeto da cobrança."))
