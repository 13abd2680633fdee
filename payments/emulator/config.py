"""Settings of the emulator (one dataclass) and the fee table."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .common import Json, loads, money, to_decimal

DEFAULT_API_KEY = "$aact_hmlg_emulator_root_key"
SEND_TYPES = ("SEQUENTIALLY", "NON_SEQUENTIALLY")
BALANCE_ENV = "ASAAS_EMULATOR_OPENING_BALANCE"
CONTROL_TOKEN_ENV = "ASAAS_EMULATOR_CONTROL_TOKEN"  # noqa: S105 - a variable name


@dataclasses.dataclass(frozen=True)
class FeeRule:
    """Asaas fee of one billing type: ``fixed`` BRL plus ``percent`` % of the value."""

    fixed: Decimal = Decimal("0")
    percent: Decimal = Decimal("0")

    def fee(self, value: Decimal) -> Decimal:
        return money(self.fixed + value * self.percent / Decimal(100))


def default_fees() -> dict[str, FeeRule]:
    """Fees observed in the real sandbox: Pix R$ 1.99 flat, card R$ 0.49 + 2.99 %, boleto 1.99."""
    boleto = FeeRule(Decimal("1.99"))
    return {
        "PIX": FeeRule(Decimal("1.99")),
        "CREDIT_CARD": FeeRule(Decimal("0.49"), Decimal("2.99")),
        "BOLETO": boleto,
        "UNDEFINED": boleto,
    }


def parse_fees(text: str) -> dict[str, FeeRule]:
    """Parse ``--fees`` JSON, e.g. ``{"PIX": {"fixed": 0.99}, "CREDIT_CARD": {"percent": 1.99}}``.

    Billing types not mentioned keep their defaults; a missing key of a rule counts as zero.
    """
    data: Json = loads(text)
    if not isinstance(data, dict):
        raise ValueError("fees must be a JSON object keyed by billing type")
    fees = default_fees()
    for billing_type, rule in data.items():
        if not isinstance(rule, dict):
            raise ValueError(f"fee rule for {billing_type} must be an object")
        fixed = to_decimal(rule.get("fixed", 0))
        percent = to_decimal(rule.get("percent", 0))
        if fixed is None or percent is None or fixed < 0 or percent < 0:
            raise ValueError(f"invalid fee rule for {billing_type}")
        fees[billing_type.upper()] = FeeRule(fixed, percent)
    return fees


@dataclasses.dataclass
class EmulatorConfig:
    """Everything the emulator can be told at start; webhook fields can change at runtime."""

    host: str = "127.0.0.1"
    port: int = 8001
    api_key: str = DEFAULT_API_KEY
    root_wallet_id: str | None = None  # random UUID when None
    root_account_name: str = "Conta Raiz Emulador"
    public_url: str | None = None  # base of invoiceUrl etc.; defaults to the server URL
    state_file: str | None = None
    fees: dict[str, FeeRule] = dataclasses.field(default_factory=default_fees)
    # split validation: NOT documented by Asaas (code and unknown-wallet rule are guesses)
    split_error_code: str = "invalid_split"
    reject_unknown_split_wallets: bool = True
    # time-dependent rules (emulator clock; see clock.py and scheduler.py)
    split_settlement_delay_seconds: float = 60.0  # credit -> split DONE (guess)
    card_refund_seconds: float = 60.0  # REFUND_REQUESTED -> REFUNDED (guess)
    card_credit_days: int = 32  # card CONFIRMED -> RECEIVED, rolled to a business day
    clock_tick_seconds: float = 1.0  # background pass applying due dates and settlements
    # money the root account starts with (and gets back on reset); Asaas sandbox: 0
    opening_balance: Decimal = Decimal("0.00")
    # control API (/_emulator/*): header X-Emulator-Control-Token; random when None
    control_token: str | None = None
    # requests
    require_user_agent: bool = False
    user_agent_error_status: int = 400
    # webhooks
    webhook_url: str | None = None
    webhook_token: str | None = None
    webhook_send_type: str = "SEQUENTIALLY"
    webhook_retry_scale: float = 1.0  # 0.001 turns the 30 s penalty into 30 ms
    webhook_timeout: float = 10.0
    webhook_max_failures: int = 15
    webhook_parallelism: int = 4  # NON_SEQUENTIALLY: deliveries in flight at once
    # initial fault switches (same names as POST /_emulator/faults)
    error_rate: float = 0.0
    latency_ms: int = 0
    hang_after_create_seconds: float = 0.0
    rate_limit: tuple[int, float] | None = None  # (limit, window seconds)
    fail_next: int = 0
    duplicate_webhooks: bool = False
    reorder_webhooks: bool = False
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.webhook_send_type not in SEND_TYPES:
            raise ValueError(f"webhook_send_type must be one of {SEND_TYPES}")
        if self.webhook_url and not self.webhook_url.startswith(("http://", "https://")):
            raise ValueError("webhook_url must be an http(s) URL")
