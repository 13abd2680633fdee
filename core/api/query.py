"""Query strings are part of the contract: a parameter the operation does not declare, or a
declared one given twice, answers 400 naming it (a typo such as ``?profissional=2`` must not
silently return every row)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

#: Accepted everywhere: DRF's format override (``?format=json`` in the browsable API).
ALWAYS_ALLOWED = frozenset({"format"})
#: Parameters whose empty value means something (no ordering, an empty search); any other
#: declared parameter given empty (``?date=``) is refused like any invalid value.
EMPTY_ALLOWED = frozenset({"ordering", "search", "profession", "format"})


def query_params_check(request: Request, allowed: set[str] | frozenset[str]) -> None:
    errors: dict[str, list[str]] = {}
    for name in request.query_params:
        if name not in allowed and name not in ALWAYS_ALLOWED:
            errors[name] = [str(_("Parâmetro de consulta desconhecido."))]
        elif len(request.query_params.getlist(name)) > 1:
            errors[name] = [str(_("Informe este parâmetro uma única vez."))]
        elif request.query_params[name] == "" and name not in EMPTY_ALLOWED:
            errors[name] = [str(_("Informe um valor."))]
    ordering = request.query_params.get("ordering")
    if "ordering" in allowed and ordering and "" in ordering.split(","):
        errors.setdefault("ordering", [str(_("Ordenação com campo vazio."))])
    if errors:
        raise ValidationError(errors)


class StrictQueryParamsMixin:
    """For viewsets: the list accepts its filters and the pagination parameters only; the
    actions named in ``query_params_by_action`` accept the parameters listed there."""

    query_params_by_action: dict[str, tuple[str, ...]] = {}

    def allowed_query_params(self) -> set[str]:
        action = getattr(self, "action", None)
        allowed = set(self.query_params_by_action.get(action or "", ()))
        if action == "list":
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                allowed |= {
                    getattr(paginator, "page_query_param", "page"),
                    getattr(paginator, "page_size_query_param", None) or "page_size",
                }
        return allowed

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        action = getattr(self, "action", None)
        if request.method in {"GET", "HEAD"} and (
            action == "list" or action in self.query_params_by_action
        ):
            query_params_check(request, self.allowed_query_params())
