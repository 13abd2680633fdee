from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.api.bodies import plain_body
from core.api.fields import (
    ContractDecimalField,
    StrictModelSerializer,
    declare_shapes,
    shaped_digits,
)
from core.documents import CPF_SHAPE, mask_cpf
from professionals.schedule.serializers import StrictBooleanField
from professionals.selectors import professional_list_for
from professionals.serializers import ProfessionalSummarySerializer

from .models import APPOINTMENT_SERVER_OWNED_FIELDS, MAX_TOTAL_AMOUNT, Appointment, Patient
from .selectors import patient_list_for

# Bookable range: sane calendar years (far dates would render with historic local-mean-time
# offsets such as -03:06:28, which are not valid ISO 8601 offsets).
EARLIEST_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_DATE = dt.datetime(2100, 12, 31, 23, 59, tzinfo=dt.UTC)

README_APPOINTMENT = {"date": "2025-07-15T14:30:00-03:00", "professional": 1}


class BoundedDateTimeField(serializers.DateTimeField):
    """A date-time whose conversion to the local time zone cannot overflow (year 1 with a
    +23:59 offset, year 9999 local): such values are "invalid", never a 500."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="AAAA-MM-DDThh:mm[:ss][+HH:MM]")
            raise  # pragma: no cover - fail() raises


@extend_schema_serializer(
    examples=[
        OpenApiExample("Consulta (README)", value=README_APPOINTMENT, request_only=True),
        OpenApiExample(
            "Consulta de 50 minutos",
            value={"date": "2025-07-15T16:00:00", "duration_minutes": 50, "professional": 1},
            request_only=True,
            description="Data sem fuso é interpretada no horário de Brasília (America/Sao_Paulo).",
        ),
    ]
)
class AppointmentSerializer(StrictModelSerializer[Appointment]):
    serializer_field_mapping = {
        **StrictModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }
    professional_data = ProfessionalSummarySerializer(source="professional", read_only=True)
    # Plain text, not format "uri": it is empty until the charge exists.
    asaas_invoice_url = serializers.CharField(read_only=True)
    total_amount = ContractDecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_TOTAL_AMOUNT,
        required=False,
        allow_null=True,
        help_text=_("Valor a cobrar do paciente. Sem valor, a consulta não é cobrada."),
    )

    allow_outside_hours = StrictBooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "Somente equipe: agenda fora do horário de atendimento do profissional "
            "(sem isto, um horário fora do expediente retorna 400 em date)."
        ),
    )

    def validate_allow_outside_hours(self, value: bool) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if value and not (user is not None and user.is_staff):
            raise serializers.ValidationError(
                _("Somente a equipe pode agendar fora do horário de atendimento.")
            )
        return value

    def validate_date(self, value: dt.datetime) -> dt.datetime:
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise serializers.ValidationError(
                _("Informe uma data entre %(start)s e %(end)s.")
                % {"start": EARLIEST_DATE.year, "end": LATEST_DATE.year}
            )
        return value

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and not user.is_staff:
            # A professional books only for themself and only their visible patients: any
            # other id is "not found" (400), never a hint that it exists.
            fields["professional"].queryset = professional_list_for(user=user)  # type: ignore[attr-defined]
            fields["patient"].queryset = patient_list_for(user=user)  # type: ignore[attr-defined]
        return fields

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
            "allow_outside_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", *APPOINTMENT_SERVER_OWNED_FIELDS]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Paciente",
            value={
                "name": "João Pereira",
                "cpf": "529.982.247-25",
                "email": "joao.pereira@email.com",
                "phone": "(11) 91234-5678",
            },
            request_only=True,
        )
    ]
)
class PatientSerializer(StrictModelSerializer[Patient]):
    """CPF is accepted with or without punctuation and stored as digits."""

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
        read_only_fields = ["id", "asaas_customer_id", "created_at", "updated_at"]
        extra_kwargs = {"cpf": {"max_length": 14}}

    SHAPES = {"cpf": CPF_SHAPE}
    SHAPE_MESSAGE = _("Informe o CPF com 11 dígitos, com ou sem pontuação (000.000.000-00).")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        declare_shapes(fields, self.SHAPES, self.SHAPE_MESSAGE)
        return fields

    def to_internal_value(self, data: Any) -> Any:
        data = shaped_digits(plain_body(data), self.SHAPES, self.SHAPE_MESSAGE)
        return super().to_internal_value(data)


class PatientListSerializer(PatientSerializer):
    """Lists show the CPF masked (``***.456.789-**``); the detail view shows it whole."""

    MASKS = {"cpf": mask_cpf}
