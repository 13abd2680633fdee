from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import audited_history
from core.db import FastLoadMixin, PostgresExclusionConstraint, TsTzRange
from core.documents import validate_cpf
from professionals.models import Professional

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 480
DEFAULT_DURATION_MINUTES = 30
MAX_TOTAL_AMOUNT = Decimal("999999.99")


class PaymentStatus(models.TextChoices):
    """Where the appointment's charge stands. See payments/services/transitions.py."""

    NOT_BILLED = "NOT_BILLED", _("Sem cobrança")
    PENDING = "PENDING", _("Aguardando criação da cobrança")
    PROCESSING = "PROCESSING", _("Aguardando pagamento")
    PAID = "PAID", _("Pago")
    CANCELED = "CANCELED", _("Cancelado")
    REFUNDED = "REFUNDED", _("Reembolsado")
    FAILED = "FAILED", _("Falhou")
    CHARGEBACK = "CHARGEBACK", _("Em contestação (chargeback)")


#: Appointment fields only the server writes (read-only in the API and in the admin).
APPOINTMENT_SERVER_OWNED_FIELDS = (
    "end",
    "status",
    "platform_amount",
    "professional_amount",
    "refunded_amount",
    "asaas_payment_id",
    "asaas_invoice_url",
    "paid_at",
    "payment_attempts",
    "last_payment_error",
    "booking_status",
    "booking_changed_at",
    "booking_changed_by",
    "reminder_sent_at",
    "created_at",
    "updated_at",
)

#: Statuses that no longer hold the time slot.
SLOT_FREEING_STATUSES = (PaymentStatus.CANCELED, PaymentStatus.REFUNDED)


class BookingStatus(models.TextChoices):
    """Where the appointment itself stands (distinct from its payment ``status``).
    See appointments/lifecycle.py for the transitions."""

    SCHEDULED = "SCHEDULED", _("Agendada")
    CONFIRMED = "CONFIRMED", _("Confirmada")
    COMPLETED = "COMPLETED", _("Realizada")
    CANCELLED_BY_PATIENT = "CANCELLED_BY_PATIENT", _("Cancelada pelo paciente")
    CANCELLED_BY_PROFESSIONAL = "CANCELLED_BY_PROFESSIONAL", _("Cancelada pelo profissional")
    NO_SHOW = "NO_SHOW", _("Paciente faltou")


#: Booking statuses that give the time slot back.
CANCELLED_BOOKING_STATUSES = (
    BookingStatus.CANCELLED_BY_PATIENT,
    BookingStatus.CANCELLED_BY_PROFESSIONAL,
)
#: The slot is held unless the payment or the booking was cancelled.
HOLDS_SLOT = ~models.Q(status__in=SLOT_FREEING_STATUSES) & ~models.Q(
    booking_status__in=CANCELLED_BOOKING_STATUSES
)


class PaymentMethod(models.TextChoices):
    PIX = "PIX", _("Pix")
    BOLETO = "BOLETO", _("Boleto")
    CREDIT_CARD = "CREDIT_CARD", _("Cartão de crédito")
    UNDEFINED = "UNDEFINED", _("À escolha do paciente")


class Patient(FastLoadMixin, models.Model):
    """The payer of an appointment (the Asaas ``customer``)."""

    name = models.CharField(_("nome"), max_length=255)
    cpf = models.CharField(_("CPF"), max_length=11, unique=True, validators=[validate_cpf])
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("celular"), max_length=20, blank=True)
    asaas_customer_id = models.CharField(_("cliente Asaas"), max_length=64, blank=True)
    # Lease of the worker creating the customer at Asaas (no lock is held across that call).
    asaas_customer_claimed_at = models.DateTimeField(
        _("criação do cliente Asaas iniciada em"), null=True, blank=True, editable=False
    )
    # Who registered the patient: a professional user sees the patients they registered.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cadastrado por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    history = audited_history()

    class Meta:
        verbose_name = _("paciente")
        verbose_name_plural = _("pacientes")
        ordering = ["name", "id"]
        # The list's order: a page is read from the index, not by sorting every patient.
        indexes = [models.Index(fields=["name", "id"], name="patient_name_id_idx")]

    def __str__(self) -> str:
        return self.name


class Appointment(FastLoadMixin, models.Model):
    """A booked slot ``[date, end)`` with one professional."""

    date = models.DateTimeField(_("início"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duração (minutos)"),
        default=DEFAULT_DURATION_MINUTES,
        validators=[
            MinValueValidator(MIN_DURATION_MINUTES),
            MaxValueValidator(MAX_DURATION_MINUTES),
        ],
    )
    end = models.DateTimeField(_("fim"), editable=False)
    professional = models.ForeignKey(
        Professional,
        verbose_name=_("profissional"),
        on_delete=models.CASCADE,
        related_name="appointments",
    )

    # Billing. An appointment without total_amount is not billed (status NOT_BILLED).
    patient = models.ForeignKey(
        Patient,
        verbose_name=_("paciente"),
        on_delete=models.PROTECT,
        related_name="appointments",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status do pagamento"),
        max_length=12,
        choices=PaymentStatus.choices,
        default=PaymentStatus.NOT_BILLED,
    )
    total_amount = models.DecimalField(
        _("valor total"), max_digits=10, decimal_places=2, null=True, blank=True
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
    payment_method = models.CharField(
        _("forma de pagamento"), max_length=12, choices=PaymentMethod.choices, blank=True
    )
    due_date = models.DateField(_("vencimento"), null=True, blank=True)
    asaas_payment_id = models.CharField(
        _("cobrança Asaas"), max_length=64, unique=True, null=True, blank=True
    )
    asaas_invoice_url = models.URLField(_("link da fatura"), max_length=500, blank=True)
    paid_at = models.DateTimeField(_("pago em"), null=True, blank=True)
    payment_attempts = models.PositiveIntegerField(_("tentativas de cobrança"), default=0)
    last_payment_error = models.TextField(_("último erro de cobrança"), blank=True)

    # Booking lifecycle (appointments/lifecycle.py is its only writer).
    booking_status = models.CharField(
        _("situação da consulta"),
        max_length=25,
        choices=BookingStatus.choices,
        default=BookingStatus.SCHEDULED,
    )
    booking_changed_at = models.DateTimeField(_("situação alterada em"), null=True, blank=True)
    booking_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("situação alterada por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when the 24 h reminder is claimed for sending (at most one per appointment).
    reminder_sent_at = models.DateTimeField(_("lembrete enviado em"), null=True, blank=True)

    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    history = audited_history()

    #: Set (not stored) by the billing service when a save asks for a charge: a new billable
    #: appointment, or one that became billable. The payments post_save receiver enqueues the
    #: charge only then, never on other saves.
    charge_requested: bool = False

    class Meta:
        verbose_name = _("consulta")
        verbose_name_plural = _("consultas")
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["professional", "date"], name="appointment_prof_date_idx"),
            models.Index(fields=["date"], name="appointment_date_idx"),
            # The lists' order (date, id): a date-range page is an index range read, never a
            # sort of every appointment sharing a start time.
            models.Index(fields=["date", "id"], name="appointment_date_id_idx"),
            models.Index(fields=["created_at"], name="appointment_created_idx"),
            models.Index(fields=["status", "created_at"], name="appointment_status_created_idx"),
            models.Index(fields=["professional", "status"], name="appointment_prof_status_idx"),
            models.Index(fields=["due_date"], name="appointment_due_date_idx"),
            models.Index(fields=["booking_status", "date"], name="appointment_booking_date_idx"),
            models.Index(
                fields=["date"],
                condition=models.Q(reminder_sent_at__isnull=True),
                name="appointment_reminder_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=MIN_DURATION_MINUTES)
                & models.Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="appointment_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("date")), name="appointment_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(total_amount__isnull=True)
                | (models.Q(total_amount__gt=0) & models.Q(total_amount__lte=MAX_TOTAL_AMOUNT)),
                name="appointment_total_amount_range",
            ),
            models.CheckConstraint(
                # Within half a cent rather than "=": SQLite evaluates decimals as floats
                # (on PostgreSQL, numeric, the two shares are exact to the cent anyway).
                condition=models.Q(total_amount__isnull=True)
                | models.Q(platform_amount__isnull=True)
                | models.Q(
                    total_amount__gte=models.F("platform_amount")
                    + models.F("professional_amount")
                    - Decimal("0.005"),
                    total_amount__lte=models.F("platform_amount")
                    + models.F("professional_amount")
                    + Decimal("0.005"),
                ),
                name="appointment_split_sums_to_total",
            ),
            PostgresExclusionConstraint(
                name="appointment_no_overlap",
                # Cancelled (payment or booking) and refunded appointments give their slot back.
                condition=HOLDS_SLOT,
                expressions=[
                    (TsTzRange("date", "end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("professional", RangeOperators.EQUAL),
                ],
                violation_error_message=_("O profissional já tem uma consulta nesse horário."),
            ),
        ]

    def __str__(self) -> str:
        """``Consulta de Maria Oliveira com Dra. Ana Silva em 15/07/2025 14:30`` (local time):
        the admin's titles, breadcrumbs, history and lists. Never logged (personal data)."""
        from core.formatting import format_local_datetime

        when = format_local_datetime(self.date)
        who = self.professional.preferred_name
        if self.patient_id is None:
            return gettext("Consulta com %(who)s em %(when)s") % {"who": who, "when": when}
        return gettext("Consulta de %(patient)s com %(who)s em %(when)s") % {
            "patient": self.patient.name if self.patient else "",
            "who": who,
            "when": when,
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.compute_end()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"date", "duration_minutes"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "end"}
        super().save(*args, **kwargs)

    def compute_end(self) -> None:
        self.end = self.date + timedelta(minutes=self.duration_minutes)

    def clean(self) -> None:
        """Admin forms: report an overlap as a field error on any database."""
        from .selectors import appointment_overlapping

        if self.date is None or self.professional_id is None or self.duration_minutes is None:
            return
        self.compute_end()
        if appointment_overlapping(
            professional_id=self.professional_id, start=self.date, end=self.end, exclude_id=self.pk
        ).exists():
            raise ValidationError({"date": _("O profissional já tem uma consulta nesse horário.")})


class BookingEvent(models.Model):
    """One step of an appointment's booking lifecycle: who moved it from where to where."""

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("consulta"),
        on_delete=models.CASCADE,
        related_name="booking_events",
    )
    source = models.CharField(_("de"), max_length=25, choices=BookingStatus.choices)
    target = models.CharField(_("para"), max_length=25, choices=BookingStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("por"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("motivo"), max_length=500, blank=True)
    #: What the cancellation asked of the payment: "", "CANCEL_CHARGE", "FULL_REFUND", "NONE".
    payment_action = models.CharField(_("efeito no pagamento"), max_length=16, blank=True)
    created_at = models.DateTimeField(_("em"), auto_now_add=True)

    class Meta:
        verbose_name = _("evento da consulta")
        verbose_name_plural = _("eventos da consulta")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["appointment", "created_at"], name="bookingevent_appt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.source} -> {self.target}"
