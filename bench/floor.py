"""The floor: bare Django views running the same kind of SQL as the API's endpoints.

One persistent psycopg connection per process (autocommit), hand-written SQL, orjson. No DRF,
no authentication, no audit, no throttling and (served by ``bench.wsgi``) no middleware: the
practical limit of Django on this machine, to which the API's figures are compared.

Same pagination shape as the API (``{count, next, previous, results}``, 20 a page) and about
the same fields. Mounted only by ``bench.urls`` (``core.settings.bench``).
"""

from __future__ import annotations

import datetime as dt
import hmac
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson
import psycopg
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from .sqlcount import HEADER

PAGE_SIZE = 20
_connection: psycopg.Connection[Any] | None = None

PROFESSIONAL_COLUMNS = (
    "id, preferred_name, profession, address, contact, email, phone, cpf_cnpj, income_value, "
    "address_number, province, postal_code, split_percentage, asaas_wallet_id, "
    "asaas_account_id, integration_status, integration_error, asaas_created_at, "
    "asaas_updated_at, created_at, updated_at"
)
APPOINTMENT_COLUMNS = (
    "a.id, a.date, a.duration_minutes, a.end, a.professional_id, p.preferred_name, "
    "p.profession, a.patient_id, a.status, a.total_amount, a.platform_amount, "
    "a.professional_amount, a.refunded_amount, a.payment_method, a.due_date, "
    "a.asaas_payment_id, a.asaas_invoice_url, a.paid_at, a.payment_attempts, "
    "a.last_payment_error, a.booking_status, a.booking_changed_at, a.created_at, a.updated_at"
)
APPOINTMENT_FROM = (
    "appointments_appointment a JOIN professionals_professional p ON p.id = a.professional_id"
)
PATIENT_COLUMNS = "id, name, cpf, email, phone, asaas_customer_id, created_at, updated_at"


def _conninfo() -> dict[str, Any]:
    database = settings.DATABASES["default"]
    info = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    return {key: value for key, value in info.items() if value is not None}


def db() -> psycopg.Connection[Any]:
    """This process's connection (opened on first use, reopened when broken)."""
    global _connection
    if _connection is None or _connection.closed or _connection.broken:
        _connection = psycopg.connect(
            **_conninfo(), autocommit=True, options=f"-c TimeZone={settings.TIME_ZONE}"
        )
    return _connection


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _json(data: Any, *, statements: int, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(data, default=_default), content_type="application/json", status=status
    )
    response[HEADER] = str(statements)
    return response


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _link(request: HttpRequest, page: int | None) -> str | None:
    if page is None:
        return None
    query = request.GET.copy()
    if page == 1:
        query.pop("page", None)
    else:
        query["page"] = str(page)
    base = f"http://{request.get_host()}{request.path}"
    return f"{base}?{urlencode(sorted(query.items()))}" if query else base


def _paginated(
    request: HttpRequest, columns: str, source: str, where: str, params: list[Any], order: str
) -> HttpResponse:
    page = _page_number(request)
    with db().cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {source} {where}", params)
        row = cursor.fetchone()
        count = int(row[0]) if row else 0
        cursor.execute(
            f"SELECT {columns} FROM {source} {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
        )
        names = [column.name for column in cursor.description or ()]
        rows = cursor.fetchall()
    return _json(
        {
            "count": count,
            "next": _link(request, page + 1) if page * PAGE_SIZE < count else None,
            "previous": _link(request, page - 1) if page > 1 else None,
            "results": [_shape(names, values) for values in rows],
        },
        statements=2,
    )


def _shape(names: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(names, values, strict=True))
    if "preferred_name" in item and "professional_id" in item:  # an appointment
        item["professional"] = item.pop("professional_id")
        item["professional_data"] = {
            "id": item["professional"],
            "preferred_name": item.pop("preferred_name"),
            "profession": item.pop("profession"),
        }
    return item


def _one(columns: str, source: str, where: str, params: list[Any]) -> HttpResponse:
    with db().cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {source} WHERE {where}", params)
        names = [column.name for column in cursor.description or ()]
        row = cursor.fetchone()
    if row is None:
        return _json({"detail": "Não encontrado."}, statements=1, status=404)
    return _json(_shape(names, row), statements=1)


def _local_day(text: str, *, end: bool) -> dt.datetime:
    day = dt.date.fromisoformat(text)
    if end:
        day += dt.timedelta(days=1)
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time.min, ZoneInfo(settings.TIME_ZONE))


def professionals(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("search", "").strip()
    where, params = "", []
    if search:
        where = "WHERE preferred_name ILIKE %s OR profession ILIKE %s"
        pattern = f"%{search}%"
        params = [pattern, pattern]
    return _paginated(
        request,
        PROFESSIONAL_COLUMNS,
        "professionals_professional",
        where,
        params,
        "preferred_name, id",
    )


def professional(request: HttpRequest, pk: int) -> HttpResponse:
    return _one(PROFESSIONAL_COLUMNS, "professionals_professional", "id = %s", [pk])


def appointments(request: HttpRequest) -> HttpResponse:
    clauses: list[str] = []
    params: list[Any] = []
    if request.GET.get("professional"):
        clauses.append("a.professional_id = %s")
        params.append(int(request.GET["professional"]))
    if request.GET.get("start_date"):
        clauses.append("a.date >= %s")
        params.append(_local_day(request.GET["start_date"], end=False))
    if request.GET.get("end_date"):
        clauses.append("a.date < %s")
        params.append(_local_day(request.GET["end_date"], end=True))
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return _paginated(request, APPOINTMENT_COLUMNS, APPOINTMENT_FROM, where, params, "a.date, a.id")


def appointment(request: HttpRequest, pk: int) -> HttpResponse:
    return _one(APPOINTMENT_COLUMNS, APPOINTMENT_FROM, "a.id = %s", [pk])


def patients(request: HttpRequest) -> HttpResponse:
    return _paginated(request, PATIENT_COLUMNS, "appointments_patient", "", [], "name, id")


def patient(request: HttpRequest, pk: int) -> HttpResponse:
    return _one(PATIENT_COLUMNS, "appointments_patient", "id = %s", [pk])


def webhook(request: HttpRequest) -> HttpResponse:
    """Acknowledge an Asaas webhook: check the token, store the event (one INSERT), answer."""
    if request.method != "POST":
        return _json({"detail": "Método não permitido."}, statements=0, status=405)
    token = request.headers.get("asaas-access-token", "")
    if not hmac.compare_digest(token.encode(), settings.ASAAS_WEBHOOK_TOKEN.encode()):
        return _json({"detail": "Token de webhook ausente ou inválido."}, statements=0, status=401)
    try:
        payload = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return _json({"detail": "JSON inválido."}, statements=0, status=400)
    if not isinstance(payload, dict) or not payload.get("id"):
        return _json({"detail": "Evento sem id."}, statements=0, status=400)
    payment = payload.get("payment") if isinstance(payload.get("payment"), dict) else {}
    with db().cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_webhookevent (event_id, event_type, asaas_payment_id, payload, "
            "outcome, error, attempts, received_at, request_id) "
            "VALUES (%s, %s, %s, %s, 'RECEIVED', '', 0, now(), '') "
            "ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [
                str(payload["id"])[:255],
                str(payload.get("event", ""))[:64],
                str((payment or {}).get("id", ""))[:64],
                orjson.dumps(payload).decode(),
            ],
        )
        created = cursor.fetchone() is not None
    return _json({"received": True, "duplicate": not created, "outcome": "RECEIVED"}, statements=1)


urlpatterns = [
    path("professionals/", professionals, name="floor-professionals"),
    path("professionals/<int:pk>/", professional, name="floor-professional"),
    path("appointments/", appointments, name="floor-appointments"),
    path("appointments/<int:pk>/", appointment, name="floor-appointment"),
    path("patients/", patients, name="floor-patients"),
    path("patients/<int:pk>/", patient, name="floor-patient"),
    path("webhook/", webhook, name="floor-webhook"),
]
