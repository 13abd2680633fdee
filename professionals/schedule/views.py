"""Working hours, exceptions and the calendar feed under /api/professionals/{id}/…

Access as for the professional: staff, or the professional's own user; anyone else's
professional is "not found".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from core.api.query import StrictQueryParamsMixin
from core.api.schema import NOT_FOUND, READ_ERRORS, VALIDATION_ERROR, WRITE_ERRORS
from professionals.models import Professional
from professionals.selectors import professional_list_for

from . import services
from .models import CalendarFeed, ScheduleException, WorkingHoursRule
from .selectors import calendar_feed_for, schedule_exceptions_for, working_hours_for
from .serializers import (
    CalendarFeedSerializer,
    ScheduleExceptionSerializer,
    WorkingHoursRuleSerializer,
)

TAG = "Horários de atendimento"
PROFESSIONAL_PARAMETER = OpenApiParameter(
    "professional_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("Id do profissional.")
)


class ProfessionalScopedMixin:
    """Resolves ``professional_pk`` among the professionals the user may see (else 404)."""

    kwargs: dict[str, Any]
    _professional: Professional | None = None

    def professional(self) -> Professional:
        if self._professional is None:
            request: Request = getattr(self, "request")  # noqa: B009 (set by the view)
            found = (
                professional_list_for(user=request.user)
                .filter(pk=self.kwargs["professional_pk"])
                .first()
            )
            if found is None:
                raise NotFound()
            self._professional = found
        return self._professional


def _crud_schema(noun: str, serializer: Any) -> dict[str, Any]:
    return {
        "list": extend_schema(
            summary=_("Listar %(noun)s") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={200: serializer(many=True), 400: VALIDATION_ERROR, **READ_ERRORS},
        ),
        "create": extend_schema(
            summary=_("Criar %(noun)s") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={201: serializer, **WRITE_ERRORS, 404: NOT_FOUND},
        ),
        "retrieve": extend_schema(
            summary=_("Detalhar %(noun)s") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={200: serializer, **READ_ERRORS},
        ),
        "update": extend_schema(
            summary=_("Atualizar %(noun)s (completo)") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={200: serializer, **WRITE_ERRORS, **READ_ERRORS},
        ),
        "partial_update": extend_schema(
            summary=_("Atualizar %(noun)s (parcial)") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={200: serializer, **WRITE_ERRORS, **READ_ERRORS},
        ),
        "destroy": extend_schema(
            summary=_("Excluir %(noun)s") % {"noun": noun},
            tags=[TAG],
            parameters=[PROFESSIONAL_PARAMETER],
            responses={204: None, 404: NOT_FOUND},
        ),
    }


@extend_schema_view(**_crud_schema("regra de horário", WorkingHoursRuleSerializer))
class WorkingHoursViewSet(
    StrictQueryParamsMixin, ProfessionalScopedMixin, viewsets.ModelViewSet[WorkingHoursRule]
):
    """Weekly rules: weekday (0 = Monday), wall-clock start/end in America/Sao_Paulo."""

    serializer_class = WorkingHoursRuleSerializer
    queryset = WorkingHoursRule.objects.none()

    def get_queryset(self) -> QuerySet[WorkingHoursRule]:
        if getattr(self, "swagger_fake_view", False):
            return WorkingHoursRule.objects.none()
        return working_hours_for(professional_id=self.professional().pk)

    def perform_create(self, serializer: BaseSerializer[WorkingHoursRule]) -> None:
        serializer.instance = services.working_hours_rule_create(
            professional_id=self.professional().pk, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: BaseSerializer[WorkingHoursRule]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.working_hours_rule_update(
            rule=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: WorkingHoursRule) -> None:
        services.working_hours_rule_delete(rule=instance)


@extend_schema_view(**_crud_schema("exceção de horário", ScheduleExceptionSerializer))
class ScheduleExceptionViewSet(
    StrictQueryParamsMixin, ProfessionalScopedMixin, viewsets.ModelViewSet[ScheduleException]
):
    """Days off, holidays and extra hours of one professional (national holidays loaded by
    ``load_holidays`` apply to everyone and are not listed here)."""

    serializer_class = ScheduleExceptionSerializer
    queryset = ScheduleException.objects.none()

    def get_queryset(self) -> QuerySet[ScheduleException]:
        if getattr(self, "swagger_fake_view", False):
            return ScheduleException.objects.none()
        return schedule_exceptions_for(professional_id=self.professional().pk)

    def perform_create(self, serializer: BaseSerializer[ScheduleException]) -> None:
        serializer.instance = services.schedule_exception_create(
            professional_id=self.professional().pk, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: BaseSerializer[ScheduleException]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.schedule_exception_update(
            exception=serializer.instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance: ScheduleException) -> None:
        services.schedule_exception_delete(exception=instance)


FEED_TAG = "Agenda (ICS)"


class CalendarFeedViewSet(
    StrictQueryParamsMixin, ProfessionalScopedMixin, viewsets.GenericViewSet[Any]
):
    """The professional's secret ICS feed: create/rotate (POST), show, change, revoke."""

    serializer_class = CalendarFeedSerializer
    # Staff model permissions by method: view/add/change/delete_calendarfeed.
    queryset = CalendarFeed.objects.none()
    query_params_by_action = {"retrieve": ()}

    def _feed_url(self, token: str) -> str:
        return self.request.build_absolute_uri(reverse("calendar-feed", kwargs={"token": token}))

    @extend_schema(
        summary=_("Ver a agenda publicada"),
        tags=[FEED_TAG],
        parameters=[PROFESSIONAL_PARAMETER],
        responses={200: CalendarFeedSerializer, **READ_ERRORS},
    )
    def retrieve(self, request: Request, professional_pk: str) -> Response:
        feed = calendar_feed_for(professional_id=self.professional().pk)
        if feed is None:
            raise NotFound(_("Este profissional não tem agenda publicada."))
        return Response(CalendarFeedSerializer(feed).data)

    @extend_schema(
        summary=_("Publicar ou renovar a agenda"),
        description=_(
            "Cria o endereço secreto da agenda (ICS) ou troca o token — o endereço anterior "
            "deixa de funcionar. O endereço aparece só nesta resposta."
        ),
        tags=[FEED_TAG],
        parameters=[PROFESSIONAL_PARAMETER],
        request=CalendarFeedSerializer,
        responses={201: CalendarFeedSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
    )
    def create(self, request: Request, professional_pk: str) -> Response:
        serializer = CalendarFeedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feed, token = services.calendar_feed_rotate(
            professional_id=self.professional().pk,
            include_patient_name=serializer.validated_data.get("include_patient_name"),
        )
        data = CalendarFeedSerializer(feed, context={"feed_url": self._feed_url(token)}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Alterar a agenda publicada"),
        tags=[FEED_TAG],
        parameters=[PROFESSIONAL_PARAMETER],
        request=CalendarFeedSerializer,
        responses={200: CalendarFeedSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, professional_pk: str) -> Response:
        serializer = CalendarFeedSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        feed = calendar_feed_for(professional_id=self.professional().pk)
        if feed is None:
            raise NotFound(_("Este profissional não tem agenda publicada."))
        include = serializer.validated_data.get("include_patient_name")
        if include is not None:
            feed = services.calendar_feed_update(
                professional_id=feed.professional_id, include_patient_name=include
            )
        return Response(CalendarFeedSerializer(feed).data)

    @extend_schema(
        summary=_("Revogar a agenda publicada"),
        description=_("O endereço secreto deixa de funcionar (404)."),
        tags=[FEED_TAG],
        parameters=[PROFESSIONAL_PARAMETER],
        responses={204: None, 404: NOT_FOUND},
    )
    def destroy(self, request: Request, professional_pk: str) -> Response:
        services.calendar_feed_revoke(professional_id=self.professional().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
