from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited_history
from core.db import FastLoadMixin
from core.documents import validate_cpf_cnpj

from .validators import validate_contact


class IntegrationStatus(models.TextChoices):
    PENDING = "PENDING", _("Pendente")
    ACTIVE = "ACTIVE", _("Ativo")
    ERROR = "ERROR", _("Erro")
    SUSPENDED = "SUSPENDED", _("Suspenso")


#: Fields a client may send (everything else is owned by the server).
CLIENT_FIELDS = (
    "preferred_name",
    "profession",
    "address",
    "contact",
    "email",
    "phone",
    "cpf_cnpj",
    "income_value",
    "address_number",
    "province",
    "postal_code",
    "split_percentage",
    "asaas_wallet_id",
)
#: Fields only the server writes (read-only in the API and in the admin).
SERVER_OWNED_FIELDS = (
    "asaas_account_id",
    "integration_status",
    "integration_error",
    "asaas_created_at",
    "asaas_updated_at",
    "created_at",
    "updated_at",
)


#: Longest address accepted (the form, the API and the schema say so).
ADDRESS_MAX_LENGTH = 500


def default_split_percentage() -> Decimal:
    from django.conf import settings

    return Decimal(settings.DEFAULT_SPLIT_PERCENTAGE).quantize(Decimal("0.01"))


#: Where a professional loaded from the database keeps the login it was loaded with: a save
#: that changes it ages every token snapshot (core.api.token_user.bump_on_professional_change).
#: Kept by the load itself (``FastLoadMixin.loaded_copies``), not by a ``post_init`` receiver
#: sent for every row of every page.
LOADED_USER_ATTRIBUTE = "_auth_user_id"


class Professional(FastLoadMixin, models.Model):
    """A health professional who can be booked."""

    loaded_copies = {LOADED_USER_ATTRIBUTE: "user_id"}

    preferred_name = models.CharField(_("nome social"), max_length=255)
    profession = models.CharField(_("profissão"), max_length=100)
    address = models.TextField(_("endereço"), max_length=ADDRESS_MAX_LENGTH)
    contact = models.CharField(_("contato"), max_length=255, validators=[validate_contact])

    # Payment data (Asaas). All optional: a professional without it is bookable but not
    # chargeable until onboarding gives them a wallet (integration_status ACTIVE).
    email = models.EmailField(_("e-mail"), max_length=254, unique=True, null=True, blank=True)
    phone = models.CharField(_("celular"), max_length=20, blank=True)
    cpf_cnpj = models.CharField(
        _("CPF/CNPJ"), max_length=14, blank=True, validators=[validate_cpf_cnpj]
    )
    income_value = models.DecimalField(
        _("renda/faturamento mensal"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    address_number = models.CharField(_("número"), max_length=20, blank=True)
    province = models.CharField(_("bairro"), max_length=100, blank=True)
    postal_code = models.CharField(
        _("CEP"),
        max_length=8,
        blank=True,
        validators=[RegexValidator(r"^\d{8}$", _("Informe um CEP com 8 dígitos."))],
    )
    split_percentage = models.DecimalField(
        _("percentual do profissional"),
        max_digits=5,
        decimal_places=2,
        default=default_split_percentage,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    asaas_account_id = models.CharField(_("conta Asaas"), max_length=64, blank=True)
    asaas_wallet_id = models.CharField(_("carteira Asaas"), max_length=64, blank=True)
    integration_status = models.CharField(
        _("status da integração"),
        max_length=10,
        choices=IntegrationStatus.choices,
        default=IntegrationStatus.PENDING,
    )
    integration_error = models.TextField(_("erro da integração"), blank=True)
    asaas_created_at = models.DateTimeField(_("criado no Asaas em"), null=True, blank=True)
    asaas_updated_at = models.DateTimeField(_("sincronizado com o Asaas em"), null=True, blank=True)
    # Lease of the worker creating the subaccount at Asaas (no lock is held across that call).
    asaas_onboarding_claimed_at = models.DateTimeField(
        _("criação da subconta iniciada em"), null=True, blank=True, editable=False
    )

    # The login of the professional themself (role "professional": sees only their own data).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("usuário"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="professional",
    )

    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    history = audited_history()

    class Meta:
        verbose_name = _("profissional")
        verbose_name_plural = _("profissionais")
        ordering = ["preferred_name", "id"]
        indexes = [
            # The default ordering: a page of the list is read from it, not sorted from all.
            models.Index(fields=["preferred_name", "id"], name="professional_name_id_idx"),
            models.Index(fields=["profession"], name="professional_profession_idx"),
            models.Index(fields=["created_at"], name="professional_created_idx"),
            models.Index(fields=["integration_status"], name="professional_integration_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(split_percentage__gte=0) & models.Q(split_percentage__lte=100),
                name="professional_split_percentage_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.preferred_name} ({self.profession})"

    @property
    def is_chargeable(self) -> bool:
        return self.integration_status == IntegrationStatus.ACTIVE and bool(self.asaas_wallet_id)


# Working hours live in their own module; imported here so Django registers the models.
from .schedule.models import (  # noqa: E402
    CalendarFeed,
    ScheduleException,
    WorkingHoursRule,
)

__all__ = ["CalendarFeed", "Professional", "ScheduleException", "WorkingHoursRule"]
