from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api.idempotency import idempotent
from core.api.query import StrictQueryParamsMixin
from core.api.schema import (
    CONFLICT,
    DATE_OR_DATETIME_PARAMETER,
    ID_PARAMETER,
    NOT_FOUND,
    PROTECTED,
    READ_ERRORS,
    VALIDATION_ERROR,
    WRITE_ERRORS,
    described_filter_parameters,
)
from core.audit import AccessLoggedMixin

from . import services
from .filters import BOOKING_STATUS_PARAMETER, AppointmentFilter, PatientFilter
from .models import Appointment, Patient
from .selectors import appointment_list_for, appointment_read_list_for, patient_list_for
from .serializers import AppointmentSerializer, PatientListSerializer, PatientSerializer

TAG = "Consultas"
WRITE_RESPONSES = {**WRITE_ERRORS, 409: CONFLICT}


@extend_schema_view(
    list=extend_schema(
        summary=_("Listar consultas"),
        description=_(
            "Lista paginada, com filtros por profissional, dia ou instante exato, intervalo de "
            "datas e ordenação."
        ),
        tags=[TAG],
        parameters=described_filter_parameters(
            AppointmentFilter,
            {
                "professional": ID_PARAMETER,
                **dict.fromkeys(
                    ("date", "date_start", "date_end", "start_date", "end_date"),
                    DATE_OR_DATETIME_PARAMETER,
                ),
                "booking_status": BOOKING_STATUS_PARAMETER,
            },
        ),
        responses={200: AppointmentSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary=_("Agendar consulta"),
        description=_(
            "Cria uma consulta. Datas sem fuso horário são lidas no horário de Brasília. "
            "Um horário que se sobrepõe a outra consulta do mesmo profissional retorna 409."
        ),
        tags=[TAG],
        responses={201: AppointmentSerializer, **WRITE_RESPONSES},
    ),
    retrieve=extend_schema(
        summary=_("Detalhar consulta"),
        tags=[TAG],
        responses={200: AppointmentSerializer, **READ_ERRORS},
    ),
    update=extend_schema(
        summary=_("Atualizar consulta (completa)"),
        tags=[TAG],
        responses={200: AppointmentSerializer, **WRITE_RESPONSES, **READ_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Atualizar consulta (parcial)"),
        tags=[TAG],
        responses={200: AppointmentSerializer, **WRITE_RESPONSES, **READ_ERRORS},
    ),
    destroy=extend_schema(
        summary=_("Excluir consulta"),
        description=_("Recusado com 409 quando a consulta tem histórico de pagamento."),
        tags=[TAG],
        responses={204: None, 404: NOT_FOUND, 409: PROTECTED},
    ),
)
class AppointmentViewSet(
    StrictQueryParamsMixin, AccessLoggedMixin, viewsets.ModelViewSet[Appointment]
):
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter

    def get_queryset(self) -> QuerySet[Appointment]:
        if self.action in ("list", "retrieve"):
            return appointment_read_list_for(user=self.request.user)
        return appointment_list_for(user=self.request.user)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: BaseSerializer[Appointment]) -> None:
        serializer.instance = services.appointment_create(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Appointment]) -> None:
        assert serializer.instance is not None
        data = dict(serializer.validated_data)
        allow_outside_hours = bool(data.pop("allow_outside_hours", False))
        serializer.instance = services.appointment_update(
            appointment=serializer.instance, data=data, allow_outside_hours=allow_outside_hours
        )

    def perform_destroy(self, instance: Appointment) -> None:
        services.appointment_delete(appointment=instance)


PATIENT_TAG = "Pacientes"


@extend_schema_view(
    list=extend_schema(
        summary=_("Listar pacientes"),
        description=_("Lista paginada com busca; o CPF aparece mascarado na listagem."),
        tags=[PATIENT_TAG],
        responses={200: PatientListSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary=_("Cadastrar paciente"),
        tags=[PATIENT_TAG],
        responses={201: PatientSerializer, **WRITE_ERRORS},
    ),
    retrieve=extend_schema(
        summary=_("Detalhar paciente"),
        tags=[PATIENT_TAG],
        responses={200: PatientSerializer, **READ_ERRORS},
    ),
    update=extend_schema(
        summary=_("Atualizar paciente (completo)"),
        tags=[PATIENT_TAG],
        responses={200: PatientSerializer, **WRITE_ERRORS, **READ_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Atualizar paciente (parcial)"),
        tags=[PATIENT_TAG],
        responses={200: PatientSerializer, **WRITE_ERRORS, **READ_ERRORS},
    ),
    destroy=extend_schema(
        summary=_("Excluir paciente"),
        description=_(
            "Recusado com 409 quando o paciente tem consultas ou histórico de pagamento."
        ),
        tags=[PATIENT_TAG],
        responses={204: None, 404: NOT_FOUND, 409: PROTECTED},
    ),
)
class PatientViewSet(StrictQueryParamsMixin, AccessLoggedMixin, viewsets.ModelViewSet[Patient]):
    filterset_class = PatientFilter
    staff_only_actions = ("destroy",)

    def get_queryset(self) -> QuerySet[Patient]:
        return patient_list_for(user=self.request.user)

    def perform_create(self, serializer: BaseSerializer[Patient]) -> None:
        serializer.instance = services.patient_create(
            created_by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Patient]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.patient_update(
            patient=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance: Patient) -> None:
        services.patient_delete(patient=instance)

    def get_serializer_class(self) -> type[PatientSerializer]:
        return PatientListSerializer if self.action == "list" else PatientSerializer
