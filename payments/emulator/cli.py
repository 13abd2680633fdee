"""Command line of the emulator, shared by ``python -m payments.emulator`` and the Django
management command ``run_asaas_emulator``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import tempfile
import threading
from collections.abc import Mapping, Sequence
from types import FrameType

from .common import money, to_decimal
from .config import (
    BALANCE_ENV,
    CONTROL_TOKEN_ENV,
    DEFAULT_API_KEY,
    SEND_TYPES,
    EmulatorConfig,
    parse_fees,
)
from .faults import parse_rate_limit_option
from .server import EmulatorServer


def add_arguments(
    parser: argparse.ArgumentParser, defaults: Mapping[str, object] | None = None
) -> None:
    """Register every option; ``defaults`` overrides the built-in defaults by option dest."""
    d = dict(defaults or {})
    add = parser.add_argument
    add("--host", default=d.get("host", "127.0.0.1"))
    add("--port", type=int, default=d.get("port", 8001))
    add("--api-key", default=d.get("api_key", DEFAULT_API_KEY), help="root account API key")
    add("--root-wallet-id", default=d.get("root_wallet_id"), help="root walletId (UUID)")
    add("--public-url", default=d.get("public_url"), help="base of invoiceUrl and other links")
    add("--state-file", default=d.get("state_file"), help="persist state to this JSON file")
    add("--webhook-url", default=d.get("webhook_url"))
    add("--webhook-token", default=d.get("webhook_token"), help="sent as asaas-access-token")
    add(
        "--webhook-send-type",
        choices=SEND_TYPES,
        default=d.get("webhook_send_type", "SEQUENTIALLY"),
    )
    add("--webhook-retry-scale", type=float, default=d.get("webhook_retry_scale", 1.0),
        help="multiplies the retry penalty schedule (0.001 = milliseconds)")  # fmt: skip
    add("--webhook-timeout", type=float, default=d.get("webhook_timeout", 10.0))
    add("--fees", default=d.get("fees"), help='JSON, e.g. \'{"PIX": {"fixed": 1.99}}\'')
    add("--control-token", default=d.get("control_token") or os.environ.get(CONTROL_TOKEN_ENV),
        help=f"/_emulator/* token (X-Emulator-Control-Token); env {CONTROL_TOKEN_ENV}")  # fmt: skip
    add("--control-token-file", default=d.get("control_token_file"),
        help="no token given: write the generated one here (default: temp dir)")  # fmt: skip
    add("--split-settlement-delay", type=float, default=d.get("split_settlement_delay", 60.0),
        help="seconds (emulator clock) from credit to split DONE")  # fmt: skip
    add("--card-refund-seconds", type=float, default=d.get("card_refund_seconds", 60.0),
        help="seconds (emulator clock) from REFUND_REQUESTED to REFUNDED")  # fmt: skip
    add("--clock-tick-seconds", type=float, default=d.get("clock_tick_seconds", 1.0))
    add("--opening-balance", default=d.get("opening_balance") or os.environ.get(BALANCE_ENV, "0"),
        help=f"BRL the root account starts with (sandbox: 0); env {BALANCE_ENV}")  # fmt: skip
    add("--split-error-code", default=d.get("split_error_code", "invalid_split"),
        help="UNVERIFIED contract: Asaas does not document split errors")  # fmt: skip
    add("--allow-unknown-split-wallets", action="store_true",
        default=d.get("allow_unknown_split_wallets", False))  # fmt: skip
    add("--require-user-agent", action="store_true", default=d.get("require_user_agent", False))
    add("--user-agent-error-status", type=int, choices=(400, 401, 403),
        default=d.get("user_agent_error_status", 400))  # fmt: skip
    add("--error-rate", type=float, default=d.get("error_rate", 0.0))
    add("--latency-ms", type=int, default=d.get("latency_ms", 0))
    add("--hang-after-create-seconds", type=float, default=d.get("hang_after_create_seconds", 0.0))
    add("--rate-limit", default=d.get("rate_limit"), help="LIMIT/WINDOW_SECONDS, e.g. 25/60")
    add("--fail-next", type=int, default=d.get("fail_next", 0))
    add("--duplicate-webhooks", action="store_true", default=d.get("duplicate_webhooks", False))
    add("--reorder-webhooks", action="store_true", default=d.get("reorder_webhooks", False))
    add("--verbose", action="store_true", default=d.get("verbose", False))


def config_from_options(options: Mapping[str, object]) -> EmulatorConfig:
    def text(key: str) -> str | None:
        value = options.get(key)
        return str(value) if value not in (None, "") else None

    def number(key: str, default: float) -> float:
        value = options.get(key)
        return float(value) if isinstance(value, (int, float, str)) else default

    fees = text("fees")
    rate_limit = text("rate_limit")
    config = EmulatorConfig(
        host=text("host") or "127.0.0.1",
        port=int(number("port", 8001)),
        api_key=text("api_key") or DEFAULT_API_KEY,
        root_wallet_id=text("root_wallet_id"),
        public_url=text("public_url"),
        state_file=text("state_file"),
        split_error_code=text("split_error_code") or "invalid_split",
        control_token=text("control_token"),
        split_settlement_delay_seconds=number("split_settlement_delay", 60.0),
        card_refund_seconds=number("card_refund_seconds", 60.0),
        clock_tick_seconds=number("clock_tick_seconds", 1.0),
        reject_unknown_split_wallets=not options.get("allow_unknown_split_wallets"),
        require_user_agent=bool(options.get("require_user_agent")),
        user_agent_error_status=int(number("user_agent_error_status", 400)),
        webhook_url=text("webhook_url"),
        webhook_token=text("webhook_token"),
        webhook_send_type=text("webhook_send_type") or "SEQUENTIALLY",
        webhook_retry_scale=number("webhook_retry_scale", 1.0),
        webhook_timeout=number("webhook_timeout", 10.0),
        error_rate=number("error_rate", 0.0),
        latency_ms=int(number("latency_ms", 0)),
        hang_after_create_seconds=number("hang_after_create_seconds", 0.0),
        rate_limit=parse_rate_limit_option(rate_limit) if rate_limit else None,
        fail_next=int(number("fail_next", 0)),
        duplicate_webhooks=bool(options.get("duplicate_webhooks")),
        reorder_webhooks=bool(options.get("reorder_webhooks")),
        verbose=bool(options.get("verbose")),
    )
    if fees:
        config.fees = parse_fees(fees)
    opening = to_decimal(str(options.get("opening_balance") or "0"))
    if opening is None:
        raise ValueError("--opening-balance must be a number")
    config.opening_balance = money(opening)
    return config


def write_control_token(token: str, path: str | None, port: int) -> str:
    """Write a generated control token to ``path`` (mode 0600); returns the path used."""
    target = path or os.path.join(tempfile.gettempdir(), f"asaas-emulator-{port}.control-token")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(target, 0o600)
    return target


def run(config: EmulatorConfig, control_token_file: str | None = None) -> None:
    """Serve until SIGINT/SIGTERM, then shut down cleanly (main thread only)."""
    logging.basicConfig(
        level=logging.DEBUG if config.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log = logging.getLogger("payments.emulator")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = EmulatorServer(config).start()
    if config.control_token is None:  # generated: say only where it is
        path = write_control_token(server.control_token, control_token_file, config.port)
        log.info("control token generated and written to %s", path)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        log.info("shutting down")
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m payments.emulator",
        description="Asaas API v3 emulator: HTTP server, in-memory state, webhook dispatcher.",
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        config = config_from_options(options)
    except ValueError as exc:
        parser.error(str(exc))
    token_file = options.get("control_token_file")
    run(config, str(token_file) if token_file else None)
    return 0
