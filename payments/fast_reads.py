"""An appointment's payment state (``GET /api/appointments/<pk>/payment_status/``) on the
fast read path (``core.api.fastread``): the row, its latest ledger rows, the audit record,
as ``AppointmentPaymentViewSet.payment_status`` answers without ``?refresh`` (with it, or
any other parameter, the whole stack answers: it may call Asaas). A client polls it after a
checkout: on the whole stack it cost four times a detail."""

from __future__ import annotations

from appointments.models import Appointment
from core.api.fastread import Children, FastResource

from .serializers import PaymentStatusSerializer
from .views import AppointmentPaymentViewSet

PAYMENT_STATUS = FastResource(
    prefix="appointments/payment_status",
    action="payment_status",
    view=AppointmentPaymentViewSet,
    model=Appointment,
    order=("id",),
    list_serializer=PaymentStatusSerializer,
    detail_serializer=PaymentStatusSerializer,
    scope="professional",  # appointment_list_for: a professional user's own appointments
    children=Children(
        "payment_transactions", ("-created_at", "-id"), PaymentStatusSerializer.RECENT_TRANSACTIONS
    ),
    audited=True,
    # get_throttles adds the Asaas refresh throttle only for ?refresh (whole stack).
    throttles_by_query=True,
)
