from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_contact


class Professional(models.Model):
    """A health professional who can be booked."""

    preferred_name = models.CharField(_("nome social"), max_length=255)
    profession = models.CharField(_("profissão"), max_length=100)
    address = models.TextField(_("endereço"))
    contact = models.CharField(_("contato"), max_length=255, validators=[validate_contact])
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("profissional")
        verbose_name_plural = _("profissionais")
        ordering = ["preferred_name", "id"]
        indexes = [
            models.Index(fields=["profession"], name="professional_profession_idx"),
            models.Index(fields=["created_at"], name="professional_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.preferred_name} ({self.profession})"
