"""Control API under ``/_emulator/`` (JSON in and out).

Every call but ``health`` needs the header ``X-Emulator-Control-Token: <control token>``
(401 ``invalid_control_token`` otherwise); see README "Control token".

==============================================  ==================================================
``GET  /_emulator/health``                      ``{"status": "ok"}`` (no token needed)
``GET  /_emulator/faults``                      current fault switches (see ``faults.py``)
``POST /_emulator/faults``                      partial update of the switches; answers the new set
``POST /_emulator/reset``                       clear state (root account kept), faults, event log,
                                                webhook configurations; the clock back to real time
``GET  /_emulator/state``                       counts, rootWalletId, accounts, payments
``GET  /_emulator/webhooks``                    event log + queues; ``?wait_idle=5`` waits first
``POST /_emulator/webhooks/flush``              ``{"timeout": 5}`` → ``{"idle", "pending"}``
``POST /_emulator/webhooks/pause|resume``       pause / un-pause the default queue
``GET|POST /_emulator/config``                  default-queue settings (token never echoed)
``GET  /_emulator/clock``                       ``{"now", "today", "offsetSeconds", "realClock"}``
``POST /_emulator/clock``                       ``{"now": "YYYY-MM-DD[ HH:MM:SS]"}`` set, then tick
``POST /_emulator/clock/advance``               ``{"days", "hours", "minutes", "seconds"}``, tick
``POST /_emulator/clock/reset``                 back to the real clock, then tick
``POST /_emulator/tick``                        apply what is due now → ``{"events": [...]}``
``GET  /_emulator/balances``                    ``[{"accountId", "walletId", "balance"}]``
``POST /_emulator/balances``                    ``{"walletId", "value"}`` adds money (may be < 0)
``POST /_emulator/payments/{id}/settle``        card CONFIRMED → RECEIVED; splits → DONE, now
``POST /_emulator/payments/{id}/chargeback``    ``{"reason"?}`` → CHARGEBACK_REQUESTED
``POST .../chargeback/dispute``                 → CHARGEBACK_DISPUTE
``POST .../chargeback/resolve``                 ``{"result": "WON"|"LOST"}``
``POST .../chargeback/reversal``                after WON → status before the chargeback
==============================================  ==================================================
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from .api import Handler, Request, Response, ok
from .common import ApiError, Json, JsonObject, fmt_datetime, money, parse_datetime, to_decimal

if TYPE_CHECKING:
    from .server import EmulatorApp

CONTROL: list[tuple[str, re.Pattern[str], Handler]] = []
_PAY = r"/_emulator/payments/([^/]+)"


def control(method: str, path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        CONTROL.append((method, re.compile(f"^{path}$"), handler))
        return handler

    return register


def _seconds(raw: object, default: float) -> float:
    number = to_decimal(raw) if isinstance(raw, (str, int, float)) else None
    return min(float(number), 60.0) if number is not None and number >= 0 else default


@control("GET", "/_emulator/health")
def health(app: EmulatorApp, req: Request) -> Response:
    return ok({"status": "ok"})


@control("GET", "/_emulator/faults")
def get_faults(app: EmulatorApp, req: Request) -> Response:
    return ok(app.faults.snapshot())


@control("POST", "/_emulator/faults")
def set_faults(app: EmulatorApp, req: Request) -> Response:
    app.faults.update(req.body)
    return ok(app.faults.snapshot())


@control("POST", "/_emulator/reset")
def reset(app: EmulatorApp, req: Request) -> Response:
    app.reset()
    return ok({"reset": True})


@control("GET", "/_emulator/state")
def state(app: EmulatorApp, req: Request) -> Response:
    return ok(app.store.summary(app.base_url))


@control("GET", "/_emulator/webhooks")
def webhooks(app: EmulatorApp, req: Request) -> Response:
    if "wait_idle" in req.query:
        app.dispatcher.wait_idle(_seconds(req.query["wait_idle"], 5.0))
    return ok(app.dispatcher.snapshot())


@control("POST", "/_emulator/webhooks/flush")
def flush(app: EmulatorApp, req: Request) -> Response:
    idle = app.dispatcher.wait_idle(_seconds(req.body.get("timeout"), 5.0))
    snapshot = app.dispatcher.snapshot()
    return ok({"idle": idle, "pending": snapshot["pending"]})


@control("POST", "/_emulator/webhooks/pause")
def pause(app: EmulatorApp, req: Request) -> Response:
    app.dispatcher.pause()
    return ok({"interrupted": True})


@control("POST", "/_emulator/webhooks/resume")
def resume(app: EmulatorApp, req: Request) -> Response:
    app.dispatcher.resume()
    return ok({"interrupted": False})


def _webhook_config(app: EmulatorApp) -> Response:
    config = app.config
    return ok(
        {
            "webhook_url": config.webhook_url,
            "has_webhook_token": bool(config.webhook_token),
            "webhook_send_type": config.webhook_send_type,
            "webhook_retry_scale": config.webhook_retry_scale,
        }
    )


@control("GET", "/_emulator/config")
def get_config(app: EmulatorApp, req: Request) -> Response:
    return _webhook_config(app)


@control("POST", "/_emulator/config")
def set_config(app: EmulatorApp, req: Request) -> Response:
    allowed = {"webhook_url", "webhook_token", "webhook_send_type", "webhook_retry_scale"}
    unknown = set(req.body) - allowed
    if unknown:
        raise ApiError(
            400, "invalid_config", f"Opções desconhecidas: {', '.join(sorted(unknown))}."
        )
    try:
        app.dispatcher.configure(req.body)
    except ValueError as exc:
        raise ApiError(400, "invalid_config", str(exc)) from None
    return _webhook_config(app)


# --- clock ---------------------------------------------------------------------------------------


def _clock(app: EmulatorApp, events: list[str] | None = None) -> Response:
    clock = app.store.clock
    moment = clock.now()
    body: JsonObject = {
        "now": fmt_datetime(moment),
        "today": moment.date().isoformat(),
        "offsetSeconds": int(clock.offset.total_seconds()),
        "realClock": clock.offset == dt.timedelta(0),
    }
    if events is not None:
        body["events"] = list(events)
    return ok(body)


@control("GET", "/_emulator/clock")
def get_clock(app: EmulatorApp, req: Request) -> Response:
    return _clock(app)


@control("POST", "/_emulator/clock")
def set_clock(app: EmulatorApp, req: Request) -> Response:
    moment = parse_datetime(req.body.get("now"))
    if moment is None:
        raise ApiError(400, "invalid_clock", 'Informe "now": "AAAA-MM-DD HH:MM:SS".')
    with app.store.lock:  # no background tick between the move and this one
        app.store.clock.set(moment)
        return _clock(app, app.scheduler.tick())


@control("POST", "/_emulator/clock/advance")
def advance_clock(app: EmulatorApp, req: Request) -> Response:
    parts: dict[str, float] = {}
    for unit in ("days", "hours", "minutes", "seconds"):
        if unit in req.body:
            number = to_decimal(req.body[unit])
            if number is None or number < 0:
                raise ApiError(400, "invalid_clock", f"Valor inválido para {unit}.")
            parts[unit] = float(number)
    if not parts:
        raise ApiError(400, "invalid_clock", "Informe days, hours, minutes e/ou seconds.")
    with app.store.lock:
        app.store.clock.advance(dt.timedelta(**parts))
        return _clock(app, app.scheduler.tick())


@control("POST", "/_emulator/clock/reset")
def reset_clock(app: EmulatorApp, req: Request) -> Response:
    with app.store.lock:
        app.store.clock.reset()
        return _clock(app, app.scheduler.tick())


@control("POST", "/_emulator/tick")
def tick(app: EmulatorApp, req: Request) -> Response:
    return ok({"events": list(app.scheduler.tick())})


# --- balances -------------------------------------------------------------------------------------


@control("GET", "/_emulator/balances")
def balances(app: EmulatorApp, req: Request) -> Response:
    with app.store.lock:
        rows: list[Json] = [
            {"accountId": a.id, "walletId": a.wallet_id, "balance": money(app.store.balance(a.id))}
            for a in app.store.accounts.values()
        ]
    return ok({"balances": rows})


@control("POST", "/_emulator/balances")
def add_balance(app: EmulatorApp, req: Request) -> Response:
    account = app.store.account_by_wallet(str(req.body.get("walletId") or ""))
    value = to_decimal(req.body.get("value"))
    if account is None or value is None:
        raise ApiError(400, "invalid_balance", 'Informe "walletId" de uma conta e "value".')
    with app.store.lock:
        app.store.credit(account.id, money(value))
        app.store.save()
        current: Decimal = app.store.balance(account.id)
    return ok({"accountId": account.id, "walletId": account.wallet_id, "balance": money(current)})


# --- payments: settle, chargebacks ----------------------------------------------------------------


@control("POST", f"{_PAY}/settle")
def settle(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.settle(req.params[0]).render(app.base_url))


@control("POST", f"{_PAY}/chargeback")
def open_chargeback(app: EmulatorApp, req: Request) -> Response:
    return ok(app.chargebacks.open(req.params[0], req.body).render(app.base_url))


@control("POST", f"{_PAY}/chargeback/dispute")
def dispute_chargeback(app: EmulatorApp, req: Request) -> Response:
    return ok(app.chargebacks.dispute(req.params[0]).render(app.base_url))


@control("POST", f"{_PAY}/chargeback/resolve")
def resolve_chargeback(app: EmulatorApp, req: Request) -> Response:
    return ok(app.chargebacks.resolve(req.params[0], req.body).render(app.base_url))


@control("POST", f"{_PAY}/chargeback/reversal")
def reverse_chargeback(app: EmulatorApp, req: Request) -> Response:
    return ok(app.chargebacks.reversal(req.params[0]).render(app.base_url))
