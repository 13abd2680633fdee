"""Reads of the commonest shape answered without DRF's dispatch, django-filter and the ORM's
SQL compiler: the same checks, the same SQL, the same bytes, several times cheaper.

A ``GET`` of a list or a detail of a resource declared in ``FAST_READ_RESOURCES`` (the
professionals, their working hours and exceptions, appointments and patients) — or of a
detail action without a query string (an appointment's payment state, with its latest ledger
rows: ``FastResource.action``, ``Children``) — with a bearer token and the query parameters
the resource's ``FastResource`` knows is answered here, in ``FastReadMiddleware``:

* the token is checked as ``SnapshotJWTAuthentication`` checks it (signature, expiry, the
  user's cached snapshot: active, password digest — revocation — and permissions), and the
  user throttle's hit is counted in the same Redis round trip;
* access: the view's permission (``view_<model>`` for staff, a linked professional
  otherwise) and its scoping (``FastResource.scope``: the same rows the selector returns);
* SQL written once per resource from the model's columns, in the view's order, with the
  bounded ``count`` of ``StandardPagination`` (``core.api.pagination``);
* rows loaded with ``Model.from_db`` and represented by the view's own (compiled) serializer
  and renderer; the read is audited like the view audits it;
* no connection health check first (``CONN_HEALTH_CHECKS``' extra round trip): a read on a
  dead connection fails, and the whole stack, which checks the connection, answers it.

Anything else — another method or parameter, an invalid value, a token that fails, a denied
permission, a refused throttle, a missing row or page, a ``text/html`` client, a request the
outer middleware answers itself (an HTTPS redirect), a database other than PostgreSQL, a
cache without ``get_many_and_hit`` — goes on to the whole stack, which answers it as before;
a throttle hit already counted here is not counted twice
(``core.api.throttling.PREHITS_ATTRIBUTE``). Each route is also checked once
against the view the URL resolves to (its authentication, permission, throttle, pagination
and filter classes): a view that changes them is no longer served here.

The middleware comes first in ``MIDDLEWARE``: on an answer it serves it does the outer
middleware's work itself (request id, security, CORS and ``/api/`` headers:
``core.api.outer``) and adds what the inner middleware and DRF add to such an answer
(``Allow``, ``Vary``, ``X-Frame-Options``, ``Content-Length``).
``core/tests/test_fast_read.py`` compares status, headers and bodies with the whole stack's
over varied data, and ``FAST_READS=false`` turns the path off. See docs/DESEMPENHO.md.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from core.audit import AccessLoggedMixin, access_log_record
from core.db import column, prepared_cursor, row_exists_statement
from core.models import AccessAction

from . import pagination
from .compiled import native_representable, represent_many
from .filtering import FilterBackend
from .outer import FAST, OuterStandIn, ServedResponse, StandInRefused, stand_in_check
from .pagination import StandardPagination
from .permissions import RolePermission
from .renderers import FastJSONRenderer
from .throttling import (
    AnonRateThrottle,
    UserRateThrottle,
    prehit_store,
    user_window_of,
)
from .token_user import (
    EPOCH_KEY,
    SNAPSHOT_KEY,
    SnapshotCaller,
    SnapshotJWTAuthentication,
    snapshot_current,
    snapshot_refusal,
    user_from_snapshot,
)

logger = logging.getLogger("core.api.fastread")

#: Set on the request: ``"served"`` or why the whole stack answered (tests and debugging).
OUTCOME_ATTRIBUTE = "fast_read_outcome"
_PAGE = re.compile(r"[0-9]{1,9}")
_PK = re.compile(r"[0-9]{1,18}")
XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
#: ``Accept`` headers that DRF's negotiation answers with JSON (the browsable API otherwise).
JSON_ACCEPT = frozenset({"", "*/*", "application/json", "application/json, text/plain, */*"})


class Unserved(Exception):
    """This request is not for the fast path (the message says why)."""


#: A condition: SQL with ``%s`` placeholders and its parameters.
Condition = tuple[str, list[Any]]
#: A filter of a query parameter: its value to conditions (``Unserved`` when invalid).
Filter = Callable[[str], list[Condition]]


@dataclass(frozen=True)
class Related:
    """A ``select_related`` forward relation loaded with only some of its columns."""

    name: str
    only: frozenset[str]


@dataclass(frozen=True)
class Children:
    """Rows of a reverse relation (``name``: its accessor) that a detail's serializer reads
    as prefetched (``instance.<name>.all()``): the first ``limit`` in ``order`` (field names,
    ``-`` for descending) — all that the serializer shows of them."""

    name: str
    order: tuple[str, ...]
    limit: int


@dataclass
class FastResource:
    """A resource served here: its URL prefix (``/api/<prefix>/``), the viewset its URL
    resolves to, and what that viewset's queryset and filterset do, written as SQL.

    A resource nested under another's row (``/api/professionals/<pk>/working_hours/``) has
    the prefix ``"professionals/working_hours"`` and names in ``parent`` the field that is
    that row: its rows are those of the URL's ``<pk>``, which staff may read whatever row it
    is (a professional user: only under their own, by ``scope``). A list without rows is
    answered here for staff when the parent row exists (an empty page); anything else
    without rows (no such parent, or not the user's: a 404) by the whole stack."""

    prefix: str
    view: type
    model: type[Model]
    #: ``ORDER BY`` columns of the queryset (``("date", "id")``), ascending.
    order: tuple[str, ...]
    #: The list's serializer class and the detail's.
    list_serializer: type
    detail_serializer: type
    #: Query parameters of the list: name -> conditions.
    filters: dict[str, Filter] = field(default_factory=dict)
    #: Filters (a substring search) whose rows are counted by a plan of their own (below).
    counted_apart: frozenset[str] = frozenset()
    #: The field that must be the non-staff user's professional for a row to be theirs (the
    #: selector's scope); None leaves such users to the whole stack.
    scope: str | None = None
    related: Related | None = None
    parent: str | None = None
    #: A detail action (``/api/<outer>/<pk>/<action>/``, prefix ``"<outer>/<action>"``): the
    #: row itself, answered here only without a query string; None for a list and a detail.
    action: str | None = None
    children: Children | None = None
    #: The view records the read in the audit trail itself (``access_log_record``).
    audited: bool = False
    #: The view's own ``get_throttles`` adds throttles only for query parameters, which this
    #: path never serves (an action's test holds it).
    throttles_by_query: bool = False

    def path(self, parent_pk: int = 1) -> str:
        """The list's URL path (with ``parent_pk`` for a nested resource; an action's)."""
        if self.parent is None and self.action is None:
            return f"/api/{self.prefix}/"
        outer, inner = self.prefix.split("/")
        return f"/api/{outer}/{parent_pk}/{inner}/"


@dataclass
class _Columns:
    """Columns of a model read by the SQL (in the model's order) and how to load them."""

    model: type[Model]
    sql: list[str]
    attnames: list[str]
    converters: list[tuple[int, list[Any]]]

    @classmethod
    def of(
        cls, model: type[Model], table_alias: str, only: Iterable[str] | None = None
    ) -> _Columns:
        connection = connections["default"]
        quote = connection.ops.quote_name
        wanted = None if only is None else set(only)
        fields = [
            f
            for f in model._meta.concrete_fields
            if wanted is None or f.name in wanted or f.primary_key
        ]
        converters = []
        for index, model_field in enumerate(fields):
            column = model_field.get_col(table_alias)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((index, found))
        return cls(
            model=model,
            sql=[f"{table_alias}.{quote(f.column)}" for f in fields],
            attnames=[f.attname for f in fields],
            converters=converters,
        )

    def load_many(self, rows: list[tuple[Any, ...]], connection: Any) -> list[Any]:
        """Each row's instance (``from_db``, or ``from_db_many`` when the model has it)."""
        values_of: list[Any] = rows
        if self.converters:
            values_of = [self._converted(row, connection) for row in rows]
        many = getattr(self.model, "from_db_many", None)
        if many is not None:
            loaded: list[Any] = many("default", self.attnames, values_of)
            return loaded
        return [self.model.from_db("default", self.attnames, values) for values in values_of]

    def _converted(self, row: tuple[Any, ...], connection: Any) -> list[Any]:
        values = list(row)
        for index, found in self.converters:
            for converter in found:
                values[index] = converter(values[index], None, connection)
        return values


class _Route:
    """A resource ready to serve: its SQL pieces and the view facts it honours."""

    def __init__(self, resource: FastResource) -> None:
        connection = connections["default"]
        quote = connection.ops.quote_name
        meta = resource.model._meta
        self.resource = resource
        self.table = quote(meta.db_table)
        self.columns = _Columns.of(resource.model, self.table)
        self.source = self.table
        #: A table whose rows the join cannot drop or repeat (a non-null foreign key with its
        #: constraint): counted without it, as the ORM counts, unless a condition names it.
        self.joined_only: str | None = None
        self.related_columns: _Columns | None = None
        self.related_field: Any = None
        if resource.related is not None:
            self.related_field = meta.get_field(resource.related.name)
            related_model = self.related_field.related_model
            related_table = quote(related_model._meta.db_table)
            self.related_columns = _Columns.of(related_model, related_table, resource.related.only)
            self.source = (
                f"{self.table} INNER JOIN {related_table} ON ({self.table}."
                f"{quote(self.related_field.column)} = {related_table}."
                f"{quote(related_model._meta.pk.column)})"
            )
            if not self.related_field.null and self.related_field.db_constraint:
                self.joined_only = related_table
        select = [*self.columns.sql, *(self.related_columns.sql if self.related_columns else [])]
        self.select = ", ".join(select)
        self.pk = column(resource.model, meta.pk.name)
        self.order_by = ", ".join(f"{column(resource.model, name)} ASC" for name in resource.order)
        self.permission = f"{meta.app_label}.view_{meta.model_name}"
        list_view: Any = None
        self.list_headers: dict[str, str] = {}
        if resource.action is None:
            list_view, self.list_headers = self._view(resource.path(), "list")
            detail_view, self.detail_headers = self._view(f"{resource.path()}1/", "retrieve")
        else:
            detail_view, self.detail_headers = self._view(resource.path(), resource.action)
        self.children_sql = ""
        self.children_columns: _Columns | None = None
        if resource.children is not None:
            self.children_sql, self.children_columns = _children_statement(resource)
        self.parent: str | None = None
        self.parent_exists = ""
        if resource.parent is not None:
            self.parent = column(resource.model, resource.parent)
            parent_model: Any = meta.get_field(resource.parent).related_model
            self.parent_exists = row_exists_statement(parent_model)
        # The context has the view (its action: a list masks documents) and no request: a
        # serializer whose output depends on the request's user is not for this path.
        self.list_serializer = resource.list_serializer(context={"view": list_view})
        self.detail_serializer = resource.detail_serializer(context={"view": detail_view})
        self.list_native = native_representable(self.list_serializer)
        self.detail_native = native_representable(self.detail_serializer)
        audited = getattr(resource.view, "audited_actions", ())
        self.audit_list = issubclass(resource.view, AccessLoggedMixin) and "list" in audited
        self.audit_retrieve = resource.audited or (
            issubclass(resource.view, AccessLoggedMixin) and "retrieve" in audited
        )

    def counted_source(self, where: str) -> str:
        """What the rows matching ``where`` are counted from: the table alone when the join
        can neither drop nor repeat a row and no condition names the joined table."""
        if self.joined_only is not None and self.joined_only not in where:
            return self.table
        return self.source

    def _view(self, path: str, action: str) -> tuple[Any, dict[str, str]]:
        """The view of ``path`` as DRF runs it for ``action``, and the headers DRF adds to
        its answers; ``Unserved`` unless it is the declared view, as ``view_check`` wants."""
        try:
            match = resolve(path)
        except Resolver404 as error:
            raise Unserved(f"{path} resolves to no view") from error
        func: Any = match.func
        view_class = getattr(func, "cls", None)
        actions = getattr(func, "actions", None) or {}
        if view_class is not self.resource.view or actions.get("get") != action:
            raise Unserved(f"{path} is not {self.resource.view.__name__}.{action}")
        view_check(view_class, self.resource)
        view = view_class(**getattr(func, "initkwargs", {}))
        view.action = action
        view.format_kwarg = None
        for method, name in actions.items():
            setattr(view, method, getattr(view, name))
        if hasattr(view, "get") and not hasattr(view, "head"):
            view.head = view.get
        headers = {"Allow": ", ".join(view.allowed_methods), "Vary": "Accept"}
        if XFRAME_MIDDLEWARE in settings.MIDDLEWARE:
            headers["X-Frame-Options"] = str(settings.X_FRAME_OPTIONS)
        return view, headers


def view_check(view_class: Any, resource: FastResource | None = None) -> None:
    """``Unserved`` unless the view authenticates, permits, throttles, paginates and filters
    as this module does (for ``resource``'s action: its own)."""
    action = None if resource is None else resource.action
    staff_permissions = getattr(view_class, "staff_permissions", None)
    if action is not None and isinstance(staff_permissions, dict):
        # An action may name its own: only the model's view permission, as checked here.
        meta: Any = resource.model._meta  # type: ignore[union-attr]
        viewing = (f"{meta.app_label}.view_{meta.model_name}",)
        staff_permissions = None if staff_permissions.get(action) == viewing else staff_permissions
    reads = {"list", "retrieve"} if action is None else {action}
    throttles_by_query = resource is not None and resource.throttles_by_query
    facts = {
        "authentication": list(view_class.authentication_classes)[:1]
        == [SnapshotJWTAuthentication],
        "permission": list(view_class.permission_classes) == [IsAuthenticated, RolePermission],
        "throttles": all(
            t in (AnonRateThrottle, UserRateThrottle) for t in view_class.throttle_classes
        ),
        "pagination": view_class.pagination_class is StandardPagination,
        "filter backends": list(view_class.filter_backends) == [FilterBackend],
        "renderer": list(view_class.renderer_classes)[:1] == [FastJSONRenderer],
        "staff permissions": staff_permissions is None,
        "staff-only reads": not reads & set(getattr(view_class, "staff_only_actions", ())),
        "own get_throttles": throttles_by_query or "get_throttles" not in vars(view_class),
    }
    wrong = [name for name, ok in facts.items() if not ok]
    if wrong:
        raise Unserved(f"{view_class.__name__}: not the same {', '.join(wrong)}")


class FastReads:
    """The routes of ``FAST_READ_RESOURCES``, built on first use (the URLconf must load)."""

    def __init__(self, dotted: Iterable[str]) -> None:
        self.dotted = list(dotted)
        self.routes: dict[str, _Route] | None = None
        self.auth = SnapshotJWTAuthentication()
        self.renderer = FastJSONRenderer()

    def _build(self) -> dict[str, _Route]:
        routes: dict[str, _Route] = {}
        for dotted in self.dotted:
            resource: FastResource = import_string(dotted)
            try:
                routes[resource.prefix] = _Route(resource)
            except Unserved as reason:
                logger.warning("fast reads: %s is served by the whole stack (%s)", dotted, reason)
        return routes

    def serve(self, request: HttpRequest) -> HttpResponse:
        """The answer to a ``GET`` (the middleware asks only for those), or ``Unserved``."""
        parts = request.path_info.split("/")
        # "", "api", prefix, [pk], "" — or nested: "", "api", outer, parent pk, inner, [pk], ""
        if len(parts) not in (4, 5, 6, 7) or parts[1] != "api" or parts[-1] != "":
            raise Unserved("path")
        if self.routes is None:
            self.routes = self._build()
        parent_pk = None
        if len(parts) > 5:
            parent_pk = parts[3]
            if not _PK.fullmatch(parent_pk):
                raise Unserved("path")
            del parts[3]
            parts[2] = f"{parts[2]}/{parts.pop(3)}"
        route = self.routes.get(parts[2])
        if route is None:
            raise Unserved("path")
        pk: str | None
        if route.resource.action is not None:  # /api/<outer>/<pk>/<action>/: the row itself
            if parent_pk is None or len(parts) != 4:
                raise Unserved("path")
            pk, parent_pk = parent_pk, None
        elif (route.parent is None) != (parent_pk is None):
            raise Unserved("path")
        else:
            pk = parts[3] if len(parts) == 5 else None
        if pk is not None and not _PK.fullmatch(pk):
            raise Unserved("path")
        client_check(request)
        if connections["default"].vendor != "postgresql":
            raise Unserved("database")
        if pk is not None and request.GET:
            raise Unserved("query")
        with health_check_skipped():
            return self._serve(request, route, pk, parent_pk)

    def _serve(
        self, request: HttpRequest, route: _Route, pk: str | None, parent_pk: str | None
    ) -> HttpResponse:
        conditions, apart = self._conditions(route, request) if pk is None else ([], False)
        caller = self._authenticate(request, route)
        if parent_pk is not None:
            conditions.append((f"{route.parent} = %s", [int(parent_pk)]))
        if pk is not None:
            conditions.append((f"{route.pk} = %s", [int(pk)]))
        if not caller.is_staff:
            scope = route.resource.scope
            if scope is None:
                raise Unserved("scope")
            conditions.append(
                (f"{column(route.resource.model, scope)} = %s", [caller.professional_id])
            )
        if pk is None:
            parent = None if parent_pk is None else int(parent_pk)
            return self._list(request, route, caller, conditions, apart=apart, parent=parent)
        return self._detail(request, route, caller, conditions)

    # --- query string -------------------------------------------------------------------------

    def _conditions(self, route: _Route, request: HttpRequest) -> tuple[list[Condition], bool]:
        """The query string's conditions, and whether one is to be counted apart."""
        conditions: list[Condition] = []
        apart = False
        query = request.GET
        for name in query:
            values = query.getlist(name)
            if len(values) != 1:
                raise Unserved("repeated parameter")
            if name in ("page", "page_size"):
                if not _PAGE.fullmatch(values[0]):
                    raise Unserved(name)
                continue
            filter_ = route.resource.filters.get(name)
            if filter_ is None:
                raise Unserved(f"parameter {name}")
            found = filter_(values[0])
            apart = apart or bool(found and name in route.resource.counted_apart)
            conditions.extend(found)
        return conditions, apart

    # --- who ----------------------------------------------------------------------------------

    def _authenticate(self, request: HttpRequest, route: _Route) -> SnapshotCaller:
        header = self.auth.get_header(request)  # type: ignore[arg-type]
        if header is None:
            raise Unserved("no token")
        try:
            raw = self.auth.get_raw_token(header)
            token = None if raw is None else self.auth.get_validated_token(raw)
            user_id = None if token is None else token[jwt_settings.USER_ID_CLAIM]
        except (APIException, TokenError, KeyError) as error:
            raise Unserved("token") from error
        if token is None:
            raise Unserved("not a bearer token")
        get_many_and_hit = getattr(cache, "get_many_and_hit", None)
        window = user_window_of(route.resource.view, user_id)
        if get_many_and_hit is None or window is None:
            raise Unserved("throttle")
        key = SNAPSHOT_KEY.format(user_id)
        both = get_many_and_hit([key, EPOCH_KEY], *window)
        if both is None:
            raise Unserved("cache unreachable")
        cached, hit = both
        # From here the hit is counted: the whole stack must not count it again.
        prehit_store(request, window[0], hit)
        snapshot = snapshot_current(user_id, cached)
        if snapshot is None or snapshot_refusal(token, snapshot) is not None:
            raise Unserved("user")
        if hit is None:
            raise Unserved("throttle not counted")
        count, _left = hit
        throttle: Any = UserRateThrottle()
        if count > throttle.num_requests:
            raise Unserved("throttled")
        caller = SnapshotCaller.of(snapshot)
        if caller.is_staff:
            if not caller.has_perm(route.permission):
                raise Unserved("permission")
        elif caller.professional_id is None:
            raise Unserved("permission")
        # The user instance only if something asks for it: the checks, the scope and the
        # audit record read the caller.
        request.user = SimpleLazyObject(functools.partial(user_from_snapshot, snapshot))  # type: ignore[assignment]
        return caller

    # --- answers ------------------------------------------------------------------------------

    def _rows(
        self,
        route: _Route,
        where: str,
        params: list[Any],
        tail: str,
        cursor: Any,
        count: tuple[str, list[Any]] | None = None,
    ) -> tuple[list[Any], int | None]:
        """The rows (model instances) and, when ``count`` (a scalar subquery and its
        parameters) is given, its value read off the first row — None without rows."""
        select = route.select if count is None else f"{route.select}, ({count[0]})"
        cursor.execute(
            # Identifiers from the models' meta, numbers from this module, values as parameters.
            f"SELECT {select} FROM {route.source}{where} ORDER BY {route.order_by}{tail}",  # noqa: S608
            # The subquery is in the select list: its parameters come first.
            params if count is None else [*count[1], *params],
        )
        rows = cursor.fetchall()
        counted = int(rows[0][-1]) if count is not None and rows else None
        connection = connections["default"]
        width = len(route.columns.attnames)
        loaded = route.columns.load_many([row[:width] for row in rows], connection)
        if route.related_columns is not None:
            related_end = None if count is None else -1
            related = [row[width:related_end] for row in rows]
            for instance, other in zip(
                loaded, _load_shared(route.related_columns, related, connection), strict=True
            ):
                route.related_field.set_cached_value(instance, other)
        return loaded, counted

    def _detail(
        self,
        request: HttpRequest,
        route: _Route,
        caller: SnapshotCaller,
        conditions: list[Condition],
    ) -> HttpResponse:
        where, params = _where(conditions)
        with prepared_cursor() as cursor:
            rows, _count = self._rows(route, where, params, "", cursor)
            if len(rows) != 1:
                raise Unserved("not found")
            if route.children_columns is not None:
                cursor.execute(route.children_sql, [rows[0].pk])
                children = route.children_columns.load_many(
                    cursor.fetchall(), connections["default"]
                )
                _as_prefetched(rows[0], route.resource.children.name, children)  # type: ignore[union-attr]
        if route.audit_retrieve:
            access_log_record(
                request=request, objects=rows, action=AccessAction.RETRIEVE, actor=caller.actor
            )
        native = route.detail_native
        [data] = represent_many(route.detail_serializer, rows, native=native)
        return self._respond(data, route.detail_headers, native=native)

    def _list(
        self,
        request: HttpRequest,
        route: _Route,
        caller: SnapshotCaller,
        conditions: list[Condition],
        *,
        apart: bool,
        parent: int | None = None,
    ) -> HttpResponse:
        query = request.GET
        size = int(query.get("page_size") or StandardPagination.page_size)
        number = int(query.get("page") or 1)
        if not 1 <= size <= StandardPagination.max_page_size or number < 1:
            raise Unserved("page")
        where, params = _where(conditions)
        bottom = (number - 1) * size
        cap = pagination.COUNT_CAP
        with prepared_cursor() as cursor:
            keys = f"SELECT {route.pk} FROM {route.counted_source(where)}{where}"  # noqa: S608
            key = (keys, tuple(params))
            held = pagination.estimate_held(key)
            if held is not None:  # past the cap a moment ago: the page alone, not counted
                rows, _none = self._rows(route, where, params, _page(size + 1, bottom), cursor)
                if rows:
                    return self._page_answer(
                        request,
                        route,
                        caller,
                        rows,
                        size,
                        number,
                        max(held, cap + 1),
                        len(rows) > size,
                    )
                if number > 1:
                    raise Unserved("page")  # past the last page: the whole stack's 404
                pagination.estimate_drop(key)  # emptied since: counted below
            matching = keys
            if apart:
                # A substring search: planned without the LIMIT (which would push the planner
                # to a sequential scan evaluating the LIKE row by row until cap + 1 match —
                # 45 ms instead of 4 ms over 50,000 patients); read lazily, still capped.
                matching = f"WITH matching AS MATERIALIZED ({keys}) SELECT 1 FROM matching"  # noqa: S608
            capped = f"SELECT COUNT(*) FROM ({matching} LIMIT {cap + 1}) capped"  # noqa: S608
            # The page (one row more: is there a next one?) and the capped count in ONE
            # statement: the count is an uncorrelated subquery, run once, read off any row.
            rows, count = self._rows(
                route, where, params, _page(size + 1, bottom), cursor, count=(capped, params)
            )
            if count is None:  # no row: no match at all, or a page past the last one
                if number > 1:
                    raise Unserved("page")
                if parent is not None:
                    self._parent_check(caller, route, parent, cursor)
                count = 0
            estimated = count > cap
            if estimated:

                def explain() -> int:
                    cursor.execute(f"EXPLAIN (FORMAT JSON) {keys}", params)
                    return pagination.plan_rows(cursor.fetchone()[0])

                estimate = pagination.estimate_remembered(key, explain)
                count = max(estimate or 0, cap + 1)
                more = len(rows) > size
            else:
                pages = max(math.ceil(count / size), 1)
                if number > pages:
                    raise Unserved("page")
                more = number < pages
        return self._page_answer(request, route, caller, rows, size, number, count, more)

    def _parent_check(
        self, caller: SnapshotCaller, route: _Route, parent: int, cursor: Any
    ) -> None:
        """``Unserved`` unless a nested list without rows is staff's empty page of a parent row
        that exists (else no such row, or not the user's: the whole stack's 404)."""
        if not caller.is_staff:
            raise Unserved("no rows")
        cursor.execute(route.parent_exists, [parent])
        if cursor.fetchone() is None:
            raise Unserved("no parent row")

    def _page_answer(
        self,
        request: HttpRequest,
        route: _Route,
        caller: SnapshotCaller,
        rows: list[Any],
        size: int,
        number: int,
        count: int,
        more: bool,
    ) -> HttpResponse:
        """The page's answer (``rows``: read with one more than ``size``), audited."""
        rows = rows[:size]
        if route.audit_list and rows:
            access_log_record(
                request=request, objects=rows, action=AccessAction.LIST, actor=caller.actor
            )
        url = request.build_absolute_uri()
        previous = None
        if number > 1:
            previous = (
                remove_query_param(url, "page")
                if number == 2
                else replace_query_param(url, "page", number - 1)
            )
        results = represent_many(route.list_serializer, rows, native=route.list_native)
        data = {
            "count": count,
            "next": replace_query_param(url, "page", number + 1) if more else None,
            "previous": previous,
            "results": results,
        }
        return self._respond(data, route.list_headers, native=route.list_native)

    def _respond(self, data: Any, headers: dict[str, str], *, native: bool) -> HttpResponse:
        if native:
            body = self.renderer.render_native(data)
        else:
            body = self.renderer.render(data, "application/json", {})
        return ServedResponse.json(body, headers)


def _load_shared(columns: _Columns, rows: list[tuple[Any, ...]], connection: Any) -> list[Any]:
    """The instances of ``rows``, one per distinct row (a professional's page names the
    professional 20 times) shared by the rows equal to it: they are only read from here on.
    A row with an unhashable value (a JSON or array column) gets its own."""
    try:
        distinct = list(dict.fromkeys(rows))
    except TypeError:
        return columns.load_many(rows, connection)
    instances = dict(zip(distinct, columns.load_many(distinct, connection), strict=True))
    return [instances[row] for row in rows]


def _children_statement(resource: FastResource) -> tuple[str, _Columns]:
    """The statement reading a row's ``Children`` (its one parameter: the row's key)."""
    children: Any = resource.children
    relation: Any = resource.model._meta.get_field(children.name)
    model = relation.related_model
    table = connections["default"].ops.quote_name(model._meta.db_table)
    loaded = _Columns.of(model, table)
    order = ", ".join(
        f"{column(model, name.lstrip('-'))} {'DESC' if name.startswith('-') else 'ASC'}"
        for name in children.order
    )
    # Identifiers from the models' meta, the limit a number of the declaration.
    sql = (
        f"SELECT {', '.join(loaded.sql)} FROM {table} "  # noqa: S608
        f"WHERE {column(model, relation.field.name)} = %s ORDER BY {order} "
        f"LIMIT {int(children.limit)}"
    )
    return sql, loaded


def _as_prefetched(instance: Any, name: str, rows: list[Any]) -> None:
    """``rows`` left on ``instance`` as ``prefetch_related(name)`` leaves them (Django's own
    steps): ``instance.<name>.all()`` reads them without a query, and each row's relation
    back is ``instance``."""
    manager = getattr(instance, name)
    for row in rows:
        manager.field.set_cached_value(row, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    instance._prefetched_objects_cache = {name: queryset}


def _page(size: int, offset: int) -> str:
    """``LIMIT``/``OFFSET`` written in the statement, not as parameters: a prepared statement's
    generic plan would assume 10 % of the rows and sort them all (0.65 ms instead of 0.1 ms for
    one professional's page); psycopg keeps the prepared texts in a bounded LRU."""
    return f" LIMIT {int(size)} OFFSET {int(offset)}"


def search_condition(model: type[Model], names: Iterable[str], value: str) -> list[Condition]:
    """``Q(a__icontains=value) | Q(b__icontains=value)`` as PostgreSQL's backend writes it
    (so the trigram indexes on ``UPPER(column)`` serve it), after the form's and the
    filter's ``strip()``; an empty value filters nothing. A NUL is the form's 400."""
    if "\x00" in value:
        raise Unserved("NUL in a parameter")
    value = value.strip()
    if not value:
        return []
    pattern = f"%{connections['default'].ops.prep_for_like_query(value)}%"
    names = list(names)
    sql = " OR ".join(f"UPPER({column(model, name)}::text) LIKE UPPER(%s)" for name in names)
    return [(sql, [pattern] * len(names))]


def _where(conditions: list[Condition]) -> tuple[str, list[Any]]:
    if not conditions:
        return "", []
    params: list[Any] = []
    for _sql, values in conditions:
        params.extend(values)
    return " WHERE " + " AND ".join(f"({sql})" for sql, _values in conditions), params


def client_check(request: HttpRequest) -> None:
    """``Unserved`` unless the whole stack would answer this client in JSON: a ``Host`` it
    allows (CommonMiddleware's 400 otherwise) and an ``Accept`` its negotiation gives JSON."""
    try:
        request.get_host()
    except DisallowedHost as error:
        raise Unserved("host") from error
    if request.META.get("HTTP_ACCEPT", "").strip() not in JSON_ACCEPT:
        raise Unserved("Accept")


@contextlib.contextmanager
def health_check_skipped() -> Iterator[None]:
    """No connection health check (a round trip before the request's first statement) inside:
    on a dead connection the statement fails, the whole stack answers, and its check — put
    back on the way out of a failure — replaces the connection."""
    connection: Any = connections["default"]
    unchecked = bool(
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
    )
    connection.health_check_done = connection.health_check_done or unchecked
    try:
        yield
    except BaseException:
        if unchecked:
            connection.health_check_done = False
        raise


def served_or_passed_on(
    request: HttpRequest,
    serve: Callable[[HttpRequest], HttpResponse],
    get_response: Callable[[HttpRequest], HttpResponse],
    what: str,
    outer: OuterStandIn,
) -> HttpResponse:
    """``serve``'s answer as the outer middleware would have left it (``outer``), or the whole
    stack's when ``serve`` raises (``Unserved``, a database error such as a dead connection,
    any fault) or the outer middleware answers first; the outcome is set on the request."""
    try:
        if outer.begin(request) is not None:
            raise Unserved("the outer middleware answers")
        response = serve(request)
    except Unserved as reason:
        setattr(request, OUTCOME_ATTRIBUTE, str(reason))
        return get_response(request)
    except DatabaseError as error:  # e.g. a connection that died: the whole stack's check
        logger.warning("fast %s: %s, answered by the whole stack", what, type(error).__name__)
        setattr(request, OUTCOME_ATTRIBUTE, "database")
        return get_response(request)
    except Exception:  # a fault here must not cost the client the answer
        logger.exception("fast %s failed: answered by the whole stack", what)
        setattr(request, OUTCOME_ATTRIBUTE, "error")
        return get_response(request)
    setattr(request, OUTCOME_ATTRIBUTE, "served")
    return outer.finish(request, response)


def outer_stand_in(own: str) -> OuterStandIn | None:
    """The stand-in for the outer middleware, or None (logged) when ``MIDDLEWARE`` is not the
    list it stands in for: the fast path then serves nothing."""
    try:
        present = stand_in_check(settings.MIDDLEWARE, own)
    except StandInRefused as reason:
        logger.warning("fast paths off: %s", reason)
        return None
    return OuterStandIn(present)


class FastReadMiddleware:
    """Serves the fast reads (see the module's docstring); everything else passes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.reads = FastReads(getattr(settings, "FAST_READ_RESOURCES", ()))
        self.outer = outer_stand_in(FAST[0])

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.FAST_READS or request.method != "GET" or self.outer is None:
            return self.get_response(request)
        return served_or_passed_on(request, self.reads.serve, self.get_response, "read", self.outer)
