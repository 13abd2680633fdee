"""Payment records: what we sent to and heard from Asaas.

Payloads are stored scrubbed (no API key, token, CPF, names or contact data).
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from appointments.models import Appointment


class TransactionType(models.TextChoices):
    CHARGE = "CHARGE", _("Cobrança")
    SPLIT = "SPLIT", _("Split")
    REFUND = "REFUND", _("Reembolso")
    CHARGEBACK = "CHARGEBACK", _("Chargeback")
    WEBHOOK = "WEBHOOK", _("Webhook")
    CANCELLATION = "CANCELLATION", _("Cancelamento")
    SYNC = "SYNC", _("Sincronização")


class TransactionStatus(models.TextChoices):
    SUCCESS = "SUCCESS", _("Sucesso")
    FAILED = "FAILED", _("Falhou")


class PaymentTransaction(models.Model):
    """One exchange with Asaas about an appointment's charge (an append-only ledger)."""

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("consulta"),
        on_delete=models.PROTECT,
        related_name="payment_transactions",
    )
    professional = models.ForeignKey(
        "professionals.Professional",
        verbose_name=_("profissional"),
        on_delete=models.PROTECT,
        related_name="payment_transactions",
    )
    transaction_type = models.CharField(_("tipo"), max_length=12, choices=TransactionType.choices)
    status = models.CharField(_("resultado"), max_length=8, choices=TransactionStatus.choices)
    amount = models.DecimalField(_("valor"), max_digits=10, decimal_places=2, null=True)
    asaas_payment_id = models.CharField(_("cobrança Asaas"), max_length=64, blank=True)
    webhook_event = models.ForeignKey(
        "payments.WebhookEvent",
        verbose_name=_("evento de webhook"),
        on_delete=models.PROTECT,
        related_name="transactions",
        null=True,
        blank=True,
    )
    request_payload = models.JSONField(
        _("requisição (sem dados pessoais)"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    response_payload = models.JSONField(
        _("resposta (sem dados pessoais)"), null=True, blank=True, encoder=DjangoJSONEncoder
    )
    error_message = models.TextField(_("erro"), blank=True)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("transação de pagamento")
        verbose_name_plural = _("transações de pagamento")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["appointment", "created_at"], name="ptx_appointment_idx"),
            models.Index(fields=["transaction_type", "created_at"], name="ptx_type_created_idx"),
            models.Index(fields=["status", "created_at"], name="ptx_status_created_idx"),
            models.Index(fields=["asaas_payment_id"], name="ptx_asaas_payment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_type} {self.status} #{self.appointment_id}"


class WebhookOutcome(models.TextChoices):
    RECEIVED = "RECEIVED", _("Recebido")
    PROCESSED = "PROCESSED", _("Processado")
    IGNORED = "IGNORED", _("Ignorado")
    FAILED = "FAILED", _("Falhou")


class WebhookEvent(models.Model):
    """An Asaas webhook delivery, stored under its unique event id before anything else."""

    event_id = models.CharField(_("id do evento"), max_length=255, unique=True)
    event_type = models.CharField(_("evento"), max_length=64)
    asaas_payment_id = models.CharField(_("cobrança Asaas"), max_length=64, blank=True)
    payload = models.JSONField(_("conteúdo (sem dados pessoais)"), encoder=DjangoJSONEncoder)
    outcome = models.CharField(
        _("resultado"),
        max_length=10,
        choices=WebhookOutcome.choices,
        default=WebhookOutcome.RECEIVED,
    )
    error = models.TextField(_("erro"), blank=True)
    attempts = models.PositiveIntegerField(_("processamentos"), default=0)
    received_at = models.DateTimeField(_("recebido em"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processado em"), null=True, blank=True)

    class Meta:
        verbose_name = _("evento de webhook")
        verbose_name_plural = _("eventos de webhook")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="webhook_outcome_idx"),
            models.Index(fields=["asaas_payment_id"], name="webhook_payment_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
