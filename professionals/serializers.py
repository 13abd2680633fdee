from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.api.bodies import plain_body
from core.api.compiled import CompiledReadMixin
from core.api.fields import StrictModelSerializer, declare_shapes, shaped_digits
from core.documents import CPF_CNPJ_SHAPE, POSTAL_CODE_SHAPE, mask_given_document

from .models import CLIENT_FIELDS, SERVER_OWNED_FIELDS, Professional

README_PROFESSIONAL = {
    "preferred_name": "Dra. Ana Silva",
    "profession": "Psicóloga",
    "address": "Rua das Flores, 123 - São Paulo, SP",
    "contact": "ana.silva@email.com / (11) 98765-4321",
}


@extend_schema_serializer(
    examples=[OpenApiExample("Profissional (README)", value=README_PROFESSIONAL, request_only=True)]
)
class ProfessionalSerializer(StrictModelSerializer[Professional]):
    class Meta:
        model = Professional
        fields = ["id", *CLIENT_FIELDS, *SERVER_OWNED_FIELDS]
        read_only_fields = ["id", *SERVER_OWNED_FIELDS]
        extra_kwargs = {
            "cpf_cnpj": {"max_length": 18},
            "postal_code": {"max_length": 9},
        }

    #: Only staff may set these (the professional's commission and where it is paid).
    STAFF_ONLY_FIELDS = ("split_percentage", "asaas_wallet_id")

    SHAPES = {"cpf_cnpj": CPF_CNPJ_SHAPE, "postal_code": POSTAL_CODE_SHAPE}
    #: Lists show a document masked (``***.456.789-**``); the detail shows it whole.
    LIST_MASKS = {"cpf_cnpj": mask_given_document}
    SHAPE_MESSAGE = _("Formato inválido: use só dígitos ou a pontuação usual.")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        declare_shapes(fields, self.SHAPES, self.SHAPE_MESSAGE)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not (user is not None and user.is_staff):
            for name in self.STAFF_ONLY_FIELDS:
                fields[name].read_only = True
        return fields

    def to_internal_value(self, data: Any) -> Any:
        data = shaped_digits(plain_body(data), self.SHAPES, self.SHAPE_MESSAGE)
        return super().to_internal_value(data)


class ProfessionalSummarySerializer(CompiledReadMixin, serializers.ModelSerializer[Professional]):
    """The professional as embedded in an appointment (``professional_data``)."""

    class Meta:
        model = Professional
        fields = ["id", "preferred_name", "profession"]
        read_only_fields = fields
