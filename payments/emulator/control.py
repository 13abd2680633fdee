"""Control API under ``/_emulator/`` (no access_token; JSON in and out).

=====================================  =========================================================
``GET  /_emulator/health``             ``{"status": "ok"}``
``GET  /_emulator/faults``             current fault switches (see ``faults.py``)
``POST /_emulator/faults``             partial update of the switches; answers the new set
``POST /_emulator/reset``              clear state (root account kept), faults and event log
``GET  /_emulator/state``              ``{"counts": {...}, "rootWalletId", "accounts", "payments"}``
``GET  /_emulator/webhooks``           event log; ``?wait_idle=5`` first waits up to 5 s for an
                                       empty queue
``POST /_emulator/webhooks/flush``     ``{"timeout": 5}`` → wait for an empty queue;
                                       ``{"idle": bool, "pending": n}``
``POST /_emulator/webhooks/pause``     pause the queue (as after 15 failures)
``POST /_emulator/webhooks/resume``    un-pause the queue
``GET  /_emulator/config``             webhook settings (the token is never echoed)
``POST /_emulator/config``             ``{"webhook_url", "webhook_token", "webhook_send_type",
                                       "webhook_retry_scale"}`` (any subset)
``POST /_emulator/payments/{id}/settle``  card CONFIRMED → RECEIVED; AWAITING_CREDIT splits → DONE
=====================================  =========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .api import Handler, Request, Response, ok
from .common import ApiError, to_decimal

if TYPE_CHECKING:
    from .server import EmulatorApp

CONTROL: dict[tuple[str, str], Handler] = {}


def control(method: str, path: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        CONTROL[(method, path)] = handler
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


def settle(app: EmulatorApp, req: Request) -> Response:
    return ok(app.payments.settle(None, req.params[0]).render(app.base_url))
