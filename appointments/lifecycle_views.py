"""Booking lifecycle actions and the calendar (ICS) endpoints.

* ``POST /api/appointments/{id}/confirm|complete|no_show|cancel/`` (staff or the professional);
* ``GET /api/appointments/{id}/booking_events/`` — who changed the booking, when;
* ``GET /api/appointments/{id}/ics/`` — the appointment as a ``.ics`` file;
* ``GET /api/calendar/{token}.ics`` — a professional's feed, by its secret token, no login.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.compiled import CompiledReadMixin
from core.api.fields import strict_string_class
from core.api.query import StrictQueryParamsMixin
from core.api.schema import CONFLICT, NOT_FOUND, VALIDATION_ERROR
from professionals.schedule.services import calendar_feed_by_token

from .calendar import ICS_CONTENT_TYPE, ICSRenderer, appointment_ics, professional_feed_ics
from .lifecycle import booking_transition
from .models import Appointment, BookingEvent, BookingStatus
from .selectors import appointment_list_for
from .serializers import AppointmentSerializer

TAG = "Consultas"
ICS_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description=_("Arquivo iCalendar (RFC 5545)."))


class BookingReasonSerializer(serializers.Serializer[dict[str, Any]]):
    reason = strict_string_class(serializers.CharField)(
        required=False, allow_blank=True, max_length=500
    )


class BookingCancelSerializer(BookingReasonSerializer):
    by = serializers.ChoiceField(
        choices=[("PATIENT", _("Paciente")), ("PROFESSIONAL", _("Profissional"))],
        help_text=_("Quem cancelou: PATIENT ou PROFESSIONAL (decide o reembolso)."),
    )


class BookingEventSerializer(CompiledReadMixin, serializers.ModelSerializer[BookingEvent]):
    actor = serializers.CharField(source="actor.get_username", default=None, read_only=True)

    class Meta:
        model = BookingEvent
        fields = ["id", "source", "target", "actor", "reason", "payment_action", "created_at"]
        read_only_fields = fields


def _transition_schema(summary: Any, description: Any, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        description=description,
        tags=[TAG],
        request=request,
        responses={
            200: AppointmentSerializer,
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )


class AppointmentBookingViewSet(StrictQueryParamsMixin, viewsets.GenericViewSet[Appointment]):
    serializer_class = AppointmentSerializer
    pagination_class = None  # booking_events is a short, whole list
    query_params_by_action = {"booking_events": (), "ics": ()}
    # Staff model permissions: moving a booking changes the appointment; reading is viewing.
    staff_permissions = {
        **dict.fromkeys(
            ("confirm", "complete", "no_show", "cancel"), ("appointments.change_appointment",)
        ),
        **dict.fromkeys(("booking_events", "ics"), ("appointments.view_appointment",)),
    }

    def get_queryset(self) -> QuerySet[Appointment]:
        return appointment_list_for(user=self.request.user)

    def _move(self, request: Request, target: str, reason: str) -> Response:
        appointment = self.get_object()
        booking_transition(
            appointment_id=appointment.pk, target=target, actor=request.user, reason=reason
        )
        fresh = self.get_queryset().get(pk=appointment.pk)
        return Response(AppointmentSerializer(fresh, context={"request": request}).data)

    def _reason(self, request: Request) -> str:
        serializer = BookingReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return str(serializer.validated_data.get("reason", ""))

    @_transition_schema(
        _("Confirmar consulta"), _("Agendada → confirmada."), BookingReasonSerializer
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self._move(request, BookingStatus.CONFIRMED, self._reason(request))

    @_transition_schema(
        _("Registrar consulta realizada"),
        _("Confirmada → realizada (depois do início)."),
        BookingReasonSerializer,
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        return self._move(request, BookingStatus.COMPLETED, self._reason(request))

    @_transition_schema(
        _("Registrar falta do paciente"),
        _("Confirmada → falta (depois do início)."),
        BookingReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="no_show")
    def no_show(self, request: Request, pk: str | None = None) -> Response:
        return self._move(request, BookingStatus.NO_SHOW, self._reason(request))

    @extend_schema(
        summary=_("Cancelar consulta"),
        description=_(
            "Cancela a consulta (antes do fim) e libera o horário. Pagamento: uma cobrança em "
            "aberto é cancelada; uma consulta paga é reembolsada integralmente quando o "
            "profissional cancela, ou quando o paciente cancela com pelo menos "
            "BOOKING_FULL_REFUND_HOURS horas de antecedência (padrão 24); depois disso, sem "
            "reembolso automático. O efeito no pagamento é aplicado em segundo plano."
        ),
        tags=[TAG],
        request=BookingCancelSerializer,
        responses={
            200: AppointmentSerializer,
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[
            OpenApiExample(
                "Paciente desmarcou",
                value={"by": "PATIENT", "reason": "Viagem"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        serializer = BookingCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = (
            BookingStatus.CANCELLED_BY_PATIENT
            if serializer.validated_data["by"] == "PATIENT"
            else BookingStatus.CANCELLED_BY_PROFESSIONAL
        )
        return self._move(request, target, serializer.validated_data.get("reason", ""))

    @extend_schema(
        summary=_("Histórico da consulta"),
        description=_(
            "Cada mudança de situação: de, para, por quem, quando e o efeito no pagamento."
        ),
        tags=[TAG],
        responses={200: BookingEventSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="booking_events")
    def booking_events(self, request: Request, pk: str | None = None) -> Response:
        appointment = self.get_object()
        events = appointment.booking_events.select_related("actor").order_by("created_at", "id")
        return Response(BookingEventSerializer(events, many=True).data)

    @extend_schema(
        summary=_("Baixar consulta (.ics)"),
        description=_("A consulta como arquivo de calendário (sem CPF)."),
        tags=[TAG],
        responses={(200, "text/calendar"): ICS_RESPONSE, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, ICSRenderer])
    def ics(self, request: Request, pk: str | None = None) -> HttpResponse:
        _format_checked(request)
        appointment = self.get_object()
        response = HttpResponse(
            appointment_ics(appointment=appointment), content_type=ICS_CONTENT_TYPE
        )
        response["Content-Disposition"] = f'attachment; filename="consulta-{appointment.pk}.ics"'
        return response


def _format_checked(request: Request) -> None:
    """``?format=`` is ``ics`` or ``json`` (content negotiation ignores an empty value)."""
    value = request.query_params.get("format")
    if value is not None and value not in {"ics", "json"}:
        raise ValidationError({"format": [gettext("Use ics ou json.")]})


class CalendarFeedView(APIView):
    """Public by design: the secret token in the path is the credential."""

    authentication_classes: list[type] = []
    permission_classes = [permissions.AllowAny]
    renderer_classes = [JSONRenderer, ICSRenderer]

    @extend_schema(
        operation_id="calendar_feed",
        summary=_("Agenda do profissional (ICS)"),
        description=_(
            "Endereço secreto para assinar no Google Agenda, Apple Calendar ou Outlook. Sem "
            "login; revogável. Sem CPF; nome do paciente só se o profissional optou por isso."
        ),
        tags=["Agenda (ICS)"],
        auth=[],
        responses={(200, "text/calendar"): ICS_RESPONSE, 400: VALIDATION_ERROR, 404: NOT_FOUND},
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        _format_checked(request)
        feed = calendar_feed_by_token(token=token)
        if feed is None:
            raise NotFound()
        body = professional_feed_ics(
            professional=feed.professional, include_patient_name=feed.include_patient_name
        )
        response = HttpResponse(body, content_type=ICS_CONTENT_TYPE)
        response["Cache-Control"] = "private, max-age=300"
        response["Referrer-Policy"] = "no-referrer"
        return response
