from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer

from core.api.query import StrictQueryParamsMixin
from core.api.schema import NOT_FOUND, PROTECTED, READ_ERRORS, VALIDATION_ERROR, WRITE_ERRORS
from core.audit import AccessLoggedMixin

from . import services
from .filters import ProfessionalFilter
from .models import Professional
from .selectors import professional_list_for
from .serializers import ProfessionalSerializer

TAG = "Profissionais"


@extend_schema_view(
    list=extend_schema(
        summary=_("Listar profissionais"),
        description=_("Lista paginada, com busca, filtro por profissão e ordenação."),
        tags=[TAG],
        responses={200: ProfessionalSerializer(many=True), 400: VALIDATION_ERROR, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary=_("Cadastrar profissional"),
        description=_("Somente equipe."),
        tags=[TAG],
        responses={201: ProfessionalSerializer, **WRITE_ERRORS},
    ),
    retrieve=extend_schema(
        summary=_("Detalhar profissional"),
        tags=[TAG],
        responses={200: ProfessionalSerializer, **READ_ERRORS},
    ),
    update=extend_schema(
        summary=_("Atualizar profissional (completo)"),
        tags=[TAG],
        responses={200: ProfessionalSerializer, **WRITE_ERRORS, **READ_ERRORS},
    ),
    partial_update=extend_schema(
        summary=_("Atualizar profissional (parcial)"),
        tags=[TAG],
        responses={200: ProfessionalSerializer, **WRITE_ERRORS, **READ_ERRORS},
    ),
    destroy=extend_schema(
        summary=_("Excluir profissional"),
        description=_(
            "Somente equipe. Exclui o profissional e, em cascata, as suas consultas; recusado "
            "com 409 quando há histórico de pagamento."
        ),
        tags=[TAG],
        responses={204: None, 404: NOT_FOUND, 409: PROTECTED},
    ),
)
class ProfessionalViewSet(
    StrictQueryParamsMixin, AccessLoggedMixin, viewsets.ModelViewSet[Professional]
):
    serializer_class = ProfessionalSerializer
    filterset_class = ProfessionalFilter
    staff_only_actions = ("create", "destroy")
    audited_actions = ("retrieve",)  # the detail shows the full CPF/CNPJ and the income

    def get_queryset(self) -> QuerySet[Professional]:
        return professional_list_for(user=self.request.user)

    def perform_create(self, serializer: BaseSerializer[Professional]) -> None:
        serializer.instance = services.professional_create(**serializer.validated_data)

    def perform_update(self, serializer: BaseSerializer[Professional]) -> None:
        assert serializer.instance is not None
        serializer.instance = services.professional_update(
            professional=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance: Professional) -> None:
        services.professional_delete(professional=instance)
