"""Free-slot search: one professional over a window, or everyone (of a profession) on a day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.compiled import datetime_iso, represent_many, zone_fixed
from core.api.pagination import CountedRows, StandardPagination
from core.api.query import query_params_check
from core.api.schema import NOT_FOUND, VALIDATION_ERROR
from professionals.schedule.windows import local_zone
from professionals.selectors import professional_list_for, professional_visible
from professionals.serializers import ProfessionalSummarySerializer

from .availability import MAX_WINDOW_DAYS, Slot, availability_search
from .day_search import DayRow, availability_day_search
from .models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES
from .serializers import EARLIEST_DATE, LATEST_DATE

TAG = "Horários livres"


class SlotSerializer(serializers.Serializer[Slot]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class LocalDateTimeField(serializers.Field[dt.datetime, str, str, Any]):
    """A date (``YYYY-MM-DD``: local midnight; as ``end``, the end of that day) or an ISO 8601
    date-time (without offset: America/Sao_Paulo)."""

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dt.datetime:
        text = str(data).strip()
        try:
            day = parse_date(text)
            moment = None if day else parse_datetime(text)
        except ValueError:
            day = moment = None
        if day is not None and not EARLIEST_DATE.date() <= day <= LATEST_DATE.date():
            self._out_of_range()
        if day is not None:
            if self.end_of_day:
                day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time()).replace(tzinfo=local_zone())
        if moment is None:
            raise serializers.ValidationError(
                _("Informe uma data (AAAA-MM-DD) ou data e hora ISO 8601 válida.")
            )
        if timezone.is_naive(moment):
            moment = moment.replace(tzinfo=local_zone())
        if not EARLIEST_DATE <= moment <= LATEST_DATE + dt.timedelta(days=1):
            self._out_of_range()
        return moment

    @staticmethod
    def _out_of_range() -> None:
        raise serializers.ValidationError(
            _("Informe uma data entre %(start)s e %(end)s.")
            % {"start": EARLIEST_DATE.year, "end": LATEST_DATE.year}
        )

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


DURATION_HELP = _(
    "Duração desejada em minutos (%(min)d a %(max)d); padrão: a duração do horário de cada regra."
) % {"min": MIN_DURATION_MINUTES, "max": MAX_DURATION_MINUTES}


#: Days the search accepts (2000-2099; day numbers up to 28 in the pattern: every month has
#: them), optionally with a time and offset, as the schema states it.
_DAY = r"(?:20\d\d)-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])"
DAY_PARAMETER = {"type": "string", "format": "date", "pattern": rf"^{_DAY}$"}
DAY_OR_INSTANT_PARAMETER = {
    "type": "string",
    "pattern": (
        rf"^{_DAY}(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?)?$"
    ),
}
DURATION_PARAMETER = OpenApiParameter(
    "duration",
    {"type": "integer", "minimum": MIN_DURATION_MINUTES, "maximum": MAX_DURATION_MINUTES},
    description=DURATION_HELP,
)


class AvailabilityQuerySerializer(serializers.Serializer[dict[str, Any]]):
    start = LocalDateTimeField()
    end = LocalDateTimeField(end_of_day=True)
    duration = serializers.IntegerField(
        min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES, required=False
    )


class DaySearchQuerySerializer(serializers.Serializer[dict[str, Any]]):
    date = serializers.DateField()
    profession = serializers.CharField(required=False, max_length=100)
    duration = serializers.IntegerField(
        min_value=MIN_DURATION_MINUTES, max_value=MAX_DURATION_MINUTES, required=False
    )

    def validate_date(self, value: dt.date) -> dt.date:
        if not EARLIEST_DATE.date() <= value <= LATEST_DATE.date():
            raise serializers.ValidationError(
                _("Informe uma data entre %(start)s e %(end)s.")
                % {"start": EARLIEST_DATE.year, "end": LATEST_DATE.year}
            )
        return value


def _slots_writer() -> Callable[[list[Slot]], list[dict[str, Any]]]:
    """Slots as the API writes them (DRF's ``DateTimeField``, byte for byte), with the
    compiled serializers' datetime writer, each instant written once: a day's search writes
    hundreds of slots, most of them at the same few times (08:00, 08:30...)."""
    field = serializers.DateTimeField()
    emit = datetime_iso(field) or field.to_representation
    written: dict[dt.datetime, str] = {}

    def text(value: dt.datetime) -> str:
        # Equal instants are written alike whatever their zone: the text is in the current one.
        found = written.get(value)
        if found is None:
            found = written[value] = emit(value)
        return found

    def write(slots: list[Slot]) -> list[dict[str, Any]]:
        return [{"start": text(item.start), "end": text(item.end)} for item in slots]

    return write


DAY_COUNT_DESCRIPTION = _(
    "Profissionais com horário livre no dia: exato quando a busca examinou todos; antes "
    "disso, uma estimativa. Para percorrer tudo, siga `next` até ele ser nulo."
)

SLOT_EXAMPLE = {"start": "2026-03-02T08:00:00-03:00", "end": "2026-03-02T08:50:00-03:00"}


class ProfessionalAvailabilityView(APIView):
    # Free slots reveal when appointments are: staff need to be allowed to see them.
    staff_permissions = ("appointments.view_appointment",)

    @extend_schema(
        operation_id="professionals_availability",
        summary=_("Horários livres do profissional"),
        description=_(
            "Horários livres entre start e end (no máximo %(days)d dias): regras de atendimento "
            "− exceções (folgas, feriados; mais horários extras) − consultas existentes "
            "(canceladas e reembolsadas liberam o horário). Datas sem fuso: horário de "
            "Brasília; start/end só com a data valem o dia inteiro. Um profissional sem regras "
            "atende a qualquer hora (has_working_hours false, sem lista de horários)."
        )
        % {"days": MAX_WINDOW_DAYS},
        tags=[TAG],
        parameters=[
            OpenApiParameter("professional_pk", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter(
                "start",
                DAY_OR_INSTANT_PARAMETER,
                required=True,
                description=_("Início (data ou data e hora)."),
            ),
            OpenApiParameter(
                "end",
                DAY_OR_INSTANT_PARAMETER,
                required=True,
                description=_("Fim (data ou data e hora)."),
            ),
            DURATION_PARAMETER,
        ],
        responses={
            200: inline_serializer(
                name="ProfessionalAvailability",
                fields={
                    "professional": serializers.IntegerField(),
                    "start": serializers.DateTimeField(),
                    "end": serializers.DateTimeField(),
                    "time_zone": serializers.CharField(),
                    "has_working_hours": serializers.BooleanField(),
                    "slots": SlotSerializer(many=True),
                },
            ),
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "Segunda de manhã",
                value={
                    "professional": 1,
                    "start": "2026-03-02T00:00:00-03:00",
                    "end": "2026-03-03T00:00:00-03:00",
                    "time_zone": "America/Sao_Paulo",
                    "has_working_hours": True,
                    "slots": [SLOT_EXAMPLE],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request: Request, professional_pk: int) -> Response:
        query_params_check(request, {"start", "end", "duration"})
        if not professional_visible(user=request.user, pk=professional_pk):
            raise NotFound()
        query = AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        has_rules, slots = availability_search(
            professional_ids=[professional_pk],
            start=start,
            end=end,
            duration_minutes=query.validated_data.get("duration"),
        )[professional_pk]
        zone = local_zone()
        with zone_fixed():
            slots_written = _slots_writer()(slots)
        return Response(
            {
                "professional": professional_pk,
                "start": start.astimezone(zone).isoformat(),
                "end": end.astimezone(zone).isoformat(),
                "time_zone": str(zone),
                "has_working_hours": has_rules,
                "slots": slots_written,
            }
        )


class AvailabilitySearchView(APIView):
    staff_permissions = ("appointments.view_appointment",)
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="availability_search",
        summary=_("Quem está livre neste dia"),
        description=_(
            "Profissionais (opcionalmente de uma profissão) com pelo menos um horário livre no "
            "dia, com os horários. Só entram profissionais com regras de atendimento. Cada "
            "página examina só os profissionais de que precisa, na ordem da lista: `count` é "
            "exato quando todos foram examinados (uma lista curta, as últimas páginas); antes "
            "disso, uma estimativa (os encontrados mais os que faltam examinar, na proporção "
            "dos examinados que tinham horário livre). `next` é sempre exato."
        ),
        tags=[TAG],
        parameters=[
            OpenApiParameter("date", DAY_PARAMETER, required=True, description=_("Dia.")),
            OpenApiParameter(
                "profession",
                {"type": "string", "maxLength": 100},
                description=_("Profissão exata (sem diferenciar maiúsculas)."),
            ),
            DURATION_PARAMETER,
            OpenApiParameter(
                "page", {"type": "integer", "minimum": 1}, description=_("Página (começa em 1).")
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 100},
                description=_("Itens por página (padrão 20, máximo 100)."),
            ),
        ],
        responses={
            200: inline_serializer(
                name="PaginatedDayAvailability",
                fields={
                    "count": serializers.IntegerField(help_text=DAY_COUNT_DESCRIPTION),
                    "next": serializers.CharField(allow_null=True),
                    "previous": serializers.CharField(allow_null=True),
                    "results": inline_serializer(
                        name="DayAvailability",
                        fields={
                            "professional": ProfessionalSummarySerializer(),
                            "slots": SlotSerializer(many=True),
                        },
                        many=True,
                    ),
                },
            ),
            400: VALIDATION_ERROR,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request) -> Response:
        query_params_check(request, {"date", "profession", "duration", "page", "page_size"})
        query = DaySearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        professionals = professional_list_for(user=request.user)
        profession = query.validated_data.get("profession", "").strip()
        if profession:
            professionals = professionals.filter(profession__iexact=profession)
        paginator = StandardPagination()
        number = paginator.get_page_number(request, None)
        size = paginator.get_page_size(request)
        found = availability_day_search(
            professionals=professionals,
            day=query.validated_data["date"],
            duration_minutes=query.validated_data.get("duration"),
            wanted=number * size + 1,  # one row past the page: `next` is exact
        )
        page: list[DayRow] | None = paginator.paginate_queryset(
            CountedRows(found.rows, count=found.count, exact=found.exact),  # type: ignore[arg-type]
            request,
            view=self,
        )
        assert page is not None
        write = _slots_writer()
        # One serializer for the page (not one per row: each instance copies its fields).
        summaries = represent_many(
            ProfessionalSummarySerializer(), [row.professional for row in page]
        )
        with zone_fixed():
            results = [
                {"professional": summary, "slots": write(row.slots)}
                for row, summary in zip(page, summaries, strict=True)
            ]
        return paginator.get_paginated_response(results)
