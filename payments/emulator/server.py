"""HTTP plumbing: a ThreadingHTTPServer that authenticates, applies faults and routes.

Python API (tests)::

    server = EmulatorServer(EmulatorConfig(port=0, webhook_url=...))
    server.start()            # background thread, real socket
    server.url                # e.g. "http://127.0.0.1:54321"
    server.stop()

One log line per request (method, path without query string, status, duration); the query
string, headers and bodies (API keys, tokens, CPF/CNPJ, names) are never logged.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api_extra, api_webhooks, control  # noqa: F401 - registers their routes
from .api import ROUTES, Request, Response
from .chargebacks import ChargebackService
from .common import ApiError, JsonObject, dumps, loads, not_found
from .config import EmulatorConfig
from .faults import Faults
from .models import Account, Payment
from .payments import PaymentService
from .refunds import RefundService
from .scheduler import Scheduler
from .state import Store
from .webhooks import WebhookDispatcher

logger = logging.getLogger("payments.emulator")

CONTROL_TOKEN_HEADER = "x-emulator-control-token"  # noqa: S105 - a header name
BAD_CONTROL_TOKEN = ApiError(
    401, "invalid_control_token", "Envie o cabeçalho X-Emulator-Control-Token correto."
)
UNAUTHORIZED = ApiError(401, "invalid_access_token", "A chave de API fornecida é inválida")
INTERNAL = ApiError(500, "internal_error", "Ocorreu um erro interno. Tente novamente mais tarde.")


def reachable_host(host: str) -> str:
    """The address clients should use: a wildcard bind address becomes 127.0.0.1."""
    try:
        unspecified = not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a host name
        unspecified = False
    return "127.0.0.1" if unspecified else host


class EmulatorApp:
    """Everything a request needs: config, state, faults, dispatcher."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.control_token = config.control_token or secrets.token_urlsafe(32)
        self.faults = Faults(config)
        self.store = Store(config, self._on_event)
        self.dispatcher = WebhookDispatcher(config, self.faults, self.store.clock.now)
        for record in list(self.store.webhooks.values()):
            self.dispatcher.upsert(record)
        self.payments = PaymentService(self.store)
        self.refunds = RefundService(self.payments)
        self.chargebacks = ChargebackService(self.payments)
        self.scheduler = Scheduler(self.payments, self.refunds)
        local = f"http://{reachable_host(config.host)}:{config.port}"
        self.base_url = (config.public_url or local).rstrip("/")
        self.stopping = threading.Event()

    def _on_event(self, event: str, payment: Payment, extra: JsonObject | None) -> None:
        self.dispatcher.enqueue(event, payment.render(self.base_url), payment.account_id, extra)

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()
        self.dispatcher.reset()

    def hang_after_create(self) -> None:
        seconds = self.faults.hang_seconds()
        if seconds > 0:
            self.stopping.wait(seconds)

    # --- request pipeline ----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Response:
        parsed = urllib.parse.urlsplit(target)
        path = parsed.path.rstrip("/") or "/"
        query = {
            k: v[0] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()
        }
        try:
            if path.startswith("/_emulator/"):
                return self._control(method, path, query, headers, raw)
            if path.startswith("/v3/") or path == "/v3":
                return self._api(method, path, query, headers, raw)
            raise not_found()
        except ApiError as error:
            return Response(error.status, error.body())
        except Exception:
            logger.exception("unexpected error on %s %s", method, path)
            return Response(500, INTERNAL.body())

    @staticmethod
    def _body(raw: bytes) -> JsonObject:
        if not raw.strip():
            return {}
        try:
            body = loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ApiError(
                400, "invalid_object", "O corpo da requisição não é um JSON válido."
            ) from None
        if not isinstance(body, dict):
            raise ApiError(400, "invalid_object", "O corpo da requisição deve ser um objeto JSON.")
        return body

    def _control(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Response:
        if path != "/_emulator/health":
            given = headers.get(CONTROL_TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, self.control_token.encode()):
                raise BAD_CONTROL_TOKEN
            self.scheduler.tick()
        for route_method, pattern, handler in control.CONTROL:
            match = pattern.match(path)
            if match and route_method == method:
                body = self._body(raw) if method != "GET" else {}
                return handler(self, Request(method, path, query, body, match.groups()))
        raise not_found()

    def _api(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Response:
        latency = self.faults.latency()
        if latency > 0:
            self.stopping.wait(latency)
        if method == "GET" and raw:
            raise ApiError(403, "forbidden", "Requisições GET não podem conter corpo.")
        account = self.store.account_by_key(headers.get("access_token", ""))
        if account is None:
            raise UNAUTHORIZED
        self.scheduler.tick()
        if self.config.require_user_agent and not headers.get("user-agent", "").strip():
            raise ApiError(
                self.config.user_agent_error_status,
                "invalid_user_agent",
                "O cabeçalho User-Agent é obrigatório.",
            )
        rate = self.faults.take_rate_slot(account.id)
        extra = rate.headers if rate else {}
        try:
            if rate is not None and not rate.allowed:
                raise ApiError(429, "rate_limit_exceeded", "Limite de requisições excedido.")
            if self.faults.should_fail():
                raise INTERNAL
            response = self._route(method, path, query, raw, account)
        except ApiError as error:
            response = Response(error.status, error.body())
        response.headers.update(extra)
        return response

    def _route(
        self, method: str, path: str, query: dict[str, str], raw: bytes, account: Account
    ) -> Response:
        path_exists = False
        for route_method, pattern, handler in ROUTES:
            match = pattern.match(path)
            if not match:
                continue
            path_exists = True
            if route_method == method:
                request = Request(method, path, query, self._body(raw), match.groups(), account)
                return handler(self, request)
        if path_exists:
            raise ApiError(405, "method_not_allowed", "Método não suportado para este recurso.")
        raise not_found()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: EmulatorApp


class _Handler(BaseHTTPRequestHandler):
    server_version = "AsaasEmulator/1.0"
    protocol_version = "HTTP/1.0"

    @property
    def app(self) -> EmulatorApp:
        server = self.server
        assert isinstance(server, _HTTPServer)
        return server.app

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = self.app.handle(self.command, self.path, headers, raw)
        payload = dumps(response.body).encode("utf-8")
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout during hang_after_create)
        path = urllib.parse.urlsplit(self.path).path
        elapsed = (time.monotonic() - started) * 1000
        logger.info("%s %s %d %.0fms", self.command, path, response.status, elapsed)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: the stdlib line carries the query string (CPF/CNPJ, names); see _serve."""

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("http: " + format, *args)


class EmulatorServer:
    """The emulator as an object: ``start()`` in a background thread, ``stop()``."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.httpd = _HTTPServer((self.config.host, self.config.port), _Handler)
        self.config.port = int(self.httpd.server_address[1])
        self.app = EmulatorApp(self.config)
        self.httpd.app = self.app
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None

    @property
    def control_token(self) -> str:
        """Send it as ``X-Emulator-Control-Token`` to every ``/_emulator/*`` call."""
        return self.app.control_token

    @property
    def url(self) -> str:
        return f"http://{reachable_host(self.config.host)}:{self.config.port}"

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def root_wallet_id(self) -> str:
        return self.app.store.root_wallet_id

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def dispatcher(self) -> WebhookDispatcher:
        return self.app.dispatcher

    @property
    def faults(self) -> Faults:
        return self.app.faults

    def start(self, poll_interval: float = 0.25) -> EmulatorServer:
        """Serve in a background thread; ``stop()`` may take up to ``poll_interval`` seconds."""
        self.app.dispatcher.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": poll_interval}, daemon=True
        )
        self._thread.start()
        self._ticker = threading.Thread(target=self._tick_forever, daemon=True)
        self._ticker.start()
        logger.info("Asaas emulator listening on %s", self.url)
        return self

    def _tick_forever(self) -> None:
        interval = max(0.01, self.config.clock_tick_seconds)
        while not self.app.stopping.wait(interval):
            try:
                self.app.scheduler.tick()
            except Exception:
                logger.exception("scheduler tick failed")

    def stop(self) -> None:
        self.app.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()
        if self._ticker is not None:
            self._ticker.join(5)
        self.app.dispatcher.stop()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
