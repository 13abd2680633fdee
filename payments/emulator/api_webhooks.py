"""``/v3/webhooks``: webhook configurations per account, each with its own queue.

Fields (Asaas's ``WebhookConfig*DTO``): ``name``, ``url``, ``email``, ``enabled``,
``interrupted``, ``apiVersion``, ``authToken`` (never echoed: ``hasAuthToken``), ``sendType``,
``events``; answers add ``id`` and ``penalizedRequestsCount``. Required on create here: name,
url, sendType, events (Asaas reportedly also wants email; the emulator does not insist).
``PUT`` changes the given fields; ``interrupted: false`` reactivates a paused queue (backlog
sent in stored order). ``POST /{id}/removeBackoff`` lets penalized events go at once.
At most 10 configurations per account. Error codes ``invalid_<field>`` are guesses.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from .api import Request, Response, listing, ok, route
from .common import ApiError, Json, JsonObject, invalid, not_found
from .config import SEND_TYPES

if TYPE_CHECKING:
    from .server import EmulatorApp

_ID = r"([^/]+)"
EVENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")
MAX_CONFIGS = 10


def _check(body: JsonObject, *, creating: bool) -> JsonObject:
    fields: JsonObject = {}
    if creating or "name" in body:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "O nome do webhook deve ser informado.")
        fields["name"] = name
    if creating or "url" in body:
        url = body.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise invalid("url", "Informe uma URL válida (http ou https) para o webhook.")
        fields["url"] = url
    if creating or "sendType" in body:
        if body.get("sendType") not in SEND_TYPES:
            raise invalid("sendType", "sendType deve ser SEQUENTIALLY ou NON_SEQUENTIALLY.")
        fields["sendType"] = body["sendType"]
    if creating or "events" in body:
        events = body.get("events")
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) and EVENT_NAME.match(e) for e in events)
        ):
            raise invalid("events", "Informe a lista de eventos do webhook.")
        fields["events"] = list(dict.fromkeys(events))
    if "email" in body and body["email"] is not None:
        if not isinstance(body["email"], str) or "@" not in body["email"]:
            raise invalid("email", "O e-mail informado é inválido.")
        fields["email"] = body["email"]
    if "authToken" in body:
        token = body["authToken"]
        if token not in (None, ""):
            text = str(token)
            if not 32 <= len(text) <= 255 or re.search(r"\s", text) or text.startswith("$aact"):
                raise invalid(
                    "authToken",
                    "O token de autenticação deve ter de 32 a 255 caracteres, sem espaços, "
                    "e não pode ser uma chave de API.",
                )
        fields["authToken"] = token or None
    for flag in ("enabled", "interrupted"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise invalid(flag, f"{flag} deve ser true ou false.")
            fields[flag] = body[flag]
    if "apiVersion" in body:
        fields["apiVersion"] = body["apiVersion"]
    return fields


def _render(app: EmulatorApp, record: JsonObject) -> JsonObject:
    interrupted, penalized = app.dispatcher.state_of(str(record["id"]))
    events: Json = record.get("events")
    return {
        "id": record["id"],
        "name": record.get("name"),
        "url": record.get("url"),
        "email": record.get("email"),
        "enabled": record.get("enabled", True),
        "interrupted": interrupted,
        "apiVersion": record.get("apiVersion", 3),
        "hasAuthToken": bool(record.get("authToken")),
        "sendType": record.get("sendType"),
        "penalizedRequestsCount": penalized,
        "events": list(events) if isinstance(events, list) else [],
    }


def _own(app: EmulatorApp, req: Request) -> JsonObject:
    with app.store.lock:
        record = app.store.webhooks.get(req.params[0])
    if record is None or record.get("accountId") != req.caller.id:
        raise not_found()
    return record


@route("POST", "/v3/webhooks")
def create_webhook(app: EmulatorApp, req: Request) -> Response:
    fields = _check(req.body, creating=True)
    with app.store.lock:
        mine = [w for w in app.store.webhooks.values() if w.get("accountId") == req.caller.id]
        if len(mine) >= MAX_CONFIGS:
            raise ApiError(400, "invalid_action", "Limite de 10 webhooks por conta atingido.")
        record: JsonObject = {
            "id": str(uuid.uuid4()),
            "accountId": req.caller.id,
            "email": None,
            "enabled": True,
            "interrupted": False,
            "apiVersion": 3,
            "authToken": None,
            **fields,
        }
        app.store.webhooks[str(record["id"])] = record
        app.store.save()
    app.dispatcher.upsert(record)
    return ok(_render(app, record))


@route("GET", "/v3/webhooks")
def list_webhooks(app: EmulatorApp, req: Request) -> Response:
    with app.store.lock:
        mine = [w for w in app.store.webhooks.values() if w.get("accountId") == req.caller.id]
    return listing([_render(app, w) for w in mine], req.query)


@route("GET", f"/v3/webhooks/{_ID}")
def get_webhook(app: EmulatorApp, req: Request) -> Response:
    return ok(_render(app, _own(app, req)))


@route("PUT", f"/v3/webhooks/{_ID}")
def update_webhook(app: EmulatorApp, req: Request) -> Response:
    record = _own(app, req)
    fields = _check(req.body, creating=False)
    with app.store.lock:
        record.update(fields)
        if "interrupted" not in fields:
            record["interrupted"] = app.dispatcher.state_of(str(record["id"]))[0]
        app.store.save()
    app.dispatcher.upsert(record)
    return ok(_render(app, record))


@route("DELETE", f"/v3/webhooks/{_ID}")
def delete_webhook(app: EmulatorApp, req: Request) -> Response:
    record = _own(app, req)
    with app.store.lock:
        app.store.webhooks.pop(str(record["id"]), None)
        app.store.save()
    app.dispatcher.remove(str(record["id"]))
    return ok({"deleted": True, "id": record["id"]})


@route("POST", f"/v3/webhooks/{_ID}/removeBackoff")
def remove_backoff(app: EmulatorApp, req: Request) -> Response:
    record = _own(app, req)
    app.dispatcher.remove_backoff(str(record["id"]))
    return ok(_render(app, record))
