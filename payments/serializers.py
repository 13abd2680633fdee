from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from appointments.models import MAX_TOTAL_AMOUNT
from payments.models import PaymentTransaction


class RefundRequestSerializer(serializers.Serializer[None]):
    amount = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_TOTAL_AMOUNT,
        required=False,
        allow_null=True,
        help_text=_("Valor a reembolsar; sem valor, reembolsa o saldo integral."),
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class PaymentTransactionSerializer(serializers.ModelSerializer[PaymentTransaction]):
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


class PaymentStatusSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField()
    total_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    platform_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    professional_amount = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    refunded_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    payment_method = serializers.CharField(allow_blank=True)
    due_date = serializers.DateField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    asaas_payment_id = serializers.CharField(allow_null=True)
    asaas_invoice_url = serializers.CharField(allow_blank=True)
    payment_attempts = serializers.IntegerField()
    last_payment_error = serializers.CharField(allow_blank=True)
    transactions = PaymentTransactionSerializer(many=True, source="recent_transactions")


class WebhookAckSerializer(serializers.Serializer[None]):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()
