"""Rules for the billing inputs of an appointment (total, patient, method, due date).

The charge itself is created asynchronously by the payments app; here we only decide
whether an appointment is billed (status PENDING) and whether its inputs are acceptable.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import BusinessRuleError

from .models import Appointment, PaymentMethod, PaymentStatus

BILLING_INPUTS = ("total_amount", "patient", "payment_method", "due_date")
#: Once the charge exists at Asaas, these can no longer change.
FROZEN_AFTER_CHARGE = (*BILLING_INPUTS, "professional")
EDITABLE_STATUSES = frozenset({PaymentStatus.NOT_BILLED, PaymentStatus.PENDING})


def appointment_billing_guard(*, appointment: Appointment, changed: set[str]) -> None:
    """Refuse changes to billing inputs of a charge that was already issued."""
    if (
        appointment.status in EDITABLE_STATUSES
        and not appointment.asaas_payment_id
        and appointment.payment_attempts == 0
    ):
        return
    frozen = sorted(changed & set(FROZEN_AFTER_CHARGE))
    if frozen:
        raise BusinessRuleError(
            _("A cobrança já foi emitida: cancele-a antes de alterar %(fields)s.")
            % {"fields": ", ".join(frozen)},
            field=frozen[0],
        )


def appointment_billing_prepare(*, appointment: Appointment) -> None:
    """Validate the billing inputs and set the payment status (NOT_BILLED or PENDING)."""
    if appointment.status not in EDITABLE_STATUSES or appointment.asaas_payment_id:
        return
    if appointment.total_amount is None:
        appointment.status = PaymentStatus.NOT_BILLED
        return
    if appointment.patient_id is None:
        raise BusinessRuleError(
            _("Informe o paciente (pagador) para consultas com cobrança."), field="patient"
        )
    if not appointment.professional.is_chargeable:
        raise BusinessRuleError(
            _(
                "O profissional ainda não está habilitado para receber pagamentos "
                "(integração com o Asaas pendente)."
            ),
            field="professional",
        )
    minimum = settings.MINIMUM_SPLIT_AMOUNT
    if appointment.total_amount < minimum:
        raise BusinessRuleError(
            _("O valor mínimo de uma consulta com cobrança é R$ %(minimum)s.")
            % {"minimum": minimum},
            field="total_amount",
        )
    today = timezone.localdate()
    if appointment.due_date is None:
        appointment.due_date = max(today, timezone.localtime(appointment.date).date())
    elif appointment.due_date < today:
        raise BusinessRuleError(_("O vencimento não pode ser anterior a hoje."), field="due_date")
    if not appointment.payment_method:
        appointment.payment_method = PaymentMethod.PIX
    if appointment.pk is None or appointment.status != PaymentStatus.PENDING:
        appointment.charge_requested = True
    appointment.status = PaymentStatus.PENDING
