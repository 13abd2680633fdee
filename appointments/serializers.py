from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from professionals.serializers import ProfessionalSummarySerializer

from .models import Appointment

README_APPOINTMENT = {"date": "2025-07-15T14:30:00-03:00", "professional": 1}


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
class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    professional_data = ProfessionalSummarySerializer(source="professional", read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "date",
            "duration_minutes",
            "end",
            "professional",
            "professional_data",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "end", "created_at", "updated_at"]
