"""Names of API views in pt-BR (the browsable API's titles and breadcrumbs)."""

from __future__ import annotations

from typing import Any

from django.forms.utils import pretty_name
from django.utils.text import capfirst
from django.utils.translation import gettext
from rest_framework.views import get_view_name as drf_view_name

#: Extra actions of the viewsets, by method name (DRF names them "Cancel payment"...).
ACTIONS = {
    "cancel_payment": "cancelar cobrança",
    "payment_status": "status do pagamento",
    "refund": "reembolsar",
    "resubmit_payment": "reenviar cobrança",
}
_BY_PRETTY_NAME = {pretty_name(name): name for name in ACTIONS}


def view_name(view: Any) -> str:
    """``Profissionais`` (list), ``Profissional`` (detail), ``Consulta: reembolsar`` (action);
    DRF's own name for views without a model."""
    serializer_meta = getattr(getattr(view, "serializer_class", None), "Meta", None)
    model = getattr(getattr(view, "queryset", None), "model", None) or getattr(
        serializer_meta, "model", None
    )
    if model is None and getattr(view, "request", None) is not None:
        try:  # viewsets that filter per user build their queryset from the request
            model = view.get_queryset().model
        except (AttributeError, TypeError, AssertionError):
            model = None
    explicit = getattr(view, "name", None)
    if model is None:
        return str(explicit) if explicit else str(drf_view_name(view))
    meta = model._meta
    action = getattr(view, "action", None) or _BY_PRETTY_NAME.get(str(explicit or ""), "")
    if action in ACTIONS:
        return f"{capfirst(meta.verbose_name)}: {gettext(ACTIONS[action])}"
    if explicit:
        return str(explicit)
    if getattr(view, "suffix", None) == "List":
        return str(capfirst(meta.verbose_name_plural))
    return str(capfirst(meta.verbose_name))
