from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from .models import Professional

README_PROFESSIONAL = {
    "preferred_name": "Dra. Ana Silva",
    "profession": "Psicóloga",
    "address": "Rua das Flores, 123 - São Paulo, SP",
    "contact": "ana.silva@email.com / (11) 98765-4321",
}


@extend_schema_serializer(
    examples=[OpenApiExample("Profissional (README)", value=README_PROFESSIONAL, request_only=True)]
)
class ProfessionalSerializer(serializers.ModelSerializer[Professional]):
    class Meta:
        model = Professional
        fields = [
            "id",
            "preferred_name",
            "profession",
            "address",
            "contact",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class ProfessionalSummarySerializer(serializers.ModelSerializer[Professional]):
    """The professional as embedded in an appointment (``professional_data``)."""

    class Meta:
        model = Professional
        fields = ["id", "preferred_name", "profession"]
        read_only_fields = fields
