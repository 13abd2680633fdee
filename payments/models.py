"""Payment records: what we sent to and heard from Asaas.

Payloads are stored scrubbed (no API key, token, CPF, names or contact data).
"""

from __future__ import annotations

from decimal import Decimal

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
    # The X-Request-ID of the request (or of the task it enqueued) that wrote the row.
    request_id = models.CharField(_("id da requisição"), max_length=64, blank=True, db_index=True)
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
    REJECTED = "REJECTED", _("Rejeitado")
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
    charge = models.ForeignKey(
        "payments.Charge",
        verbose_name=_("cobrança"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="webhook_events",
    )
    request_id = models.CharField(_("id da requisição"), max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField(_("recebido em"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processado em"), null=True, blank=True)

    class Meta:
        verbose_name = _("evento de webhook")
        verbose_name_plural = _("eventos de webhook")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "received_at"], name="webhook_outcome_idx"),
            models.Index(fields=["asaas_payment_id"], name="webhook_payment_idx"),
            # The default ordering (the admin's list) and the metrics' "last webhook": read
            # backwards from the newest, instead of sorting every event ever received.
            models.Index(fields=["received_at", "id"], name="webhook_received_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class ChargeStatus(models.TextChoices):
    """Where a charge stands. The table in ``payments/services/transitions.py`` moves it."""

    PENDING = "PENDING", _("Aguardando envio ao Asaas")
    SUBMITTING = "SUBMITTING", _("Enviando ao Asaas")
    AWAITING_PAYMENT = "AWAITING_PAYMENT", _("Aguardando pagamento")
    PAID = "PAID", _("Pago")
    CHARGEBACK = "CHARGEBACK", _("Em contestação (chargeback)")
    REFUNDED = "REFUNDED", _("Reembolsado")
    CANCELED = "CANCELED", _("Cancelado")
    FAILED = "FAILED", _("Falhou")


class Charge(models.Model):
    """The charge of one appointment at Asaas: the single owner of payment state.

    Only ``payments.services.state.charge_transition`` writes it (and, from it, the payment
    fields of the appointment, which the API shows). Every writer holds the appointment's row
    lock, then this row's; no lock is held across an HTTP call to Asaas.
    """

    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("consulta"),
        on_delete=models.CASCADE,
        related_name="charge",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.PENDING
    )
    asaas_status = models.CharField(_("status no Asaas"), max_length=32, blank=True)
    asaas_payment_id = models.CharField(
        _("cobrança Asaas"), max_length=64, unique=True, null=True, blank=True
    )
    invoice_url = models.URLField(_("link da fatura"), max_length=500, blank=True)
    value = models.DecimalField(_("valor"), max_digits=10, decimal_places=2, null=True)
    net_value = models.DecimalField(
        _("valor líquido"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    platform_amount = models.DecimalField(
        _("valor da plataforma"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    professional_amount = models.DecimalField(
        _("valor do profissional"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    refunded_amount = models.DecimalField(
        _("valor reembolsado"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    chargeback_status = models.CharField(_("chargeback"), max_length=32, blank=True)
    split_status = models.CharField(_("status do split"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("tentativas de envio"), default=0)
    last_error = models.TextField(_("último erro"), blank=True)
    claimed_at = models.DateTimeField(_("envio iniciado em"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("próxima tentativa"), null=True, blank=True)
    paid_at = models.DateTimeField(_("pago em"), null=True, blank=True)
    # Set once Asaas's history was seen going backwards (chargeback won, payment restored,
    # cash receipt undone): from then on every event of this charge is checked against Asaas.
    reread_only = models.BooleanField(_("sempre reler do Asaas"), default=False)
    last_synced_at = models.DateTimeField(_("sincronizado em"), null=True, blank=True)
    version = models.PositiveIntegerField(_("versão"), default=0)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("cobrança")
        verbose_name_plural = _("cobranças")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="charge_status_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} #{self.appointment_id}"


class ReconciliationRun(models.Model):
    """One comparison of our charges with Asaas (``manage.py reconcile_payments``)."""

    started_at = models.DateTimeField(_("início"), auto_now_add=True)
    finished_at = models.DateTimeField(_("fim"), null=True, blank=True)
    checked = models.PositiveIntegerField(_("cobranças verificadas"), default=0)
    drift_found = models.PositiveIntegerField(_("divergências encontradas"), default=0)
    drift_fixed = models.PositiveIntegerField(_("divergências corrigidas"), default=0)
    drift_by_kind = models.JSONField(_("divergências por tipo"), default=dict)
    fixed = models.BooleanField(_("com --fix"), default=False)

    class Meta:
        verbose_name = _("conciliação")
        verbose_name_plural = _("conciliações")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.drift_found})"
