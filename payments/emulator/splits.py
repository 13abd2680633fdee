"""Split (divisão de pagamentos) rules; every amount is checked against ``netValue``.

* every item needs ``walletId`` and ``fixedValue`` and/or ``percentualValue`` (> 0, % ≤ 100);
* sum of fixedValue ≤ netValue, sum of percentualValue ≤ 100, sum of computed totals ≤ netValue;
* the issuer's own walletId is refused;
* an unknown walletId (no account of this emulator) is refused at creation unless
  ``EmulatorConfig.reject_unknown_split_wallets`` is False (then it is accepted);
* every split error answers 400 with code ``EmulatorConfig.split_error_code``
  (default ``invalid_split``; real Asaas does not document the code) and a Portuguese text.

``totalValue`` of a percentual item is ``netValue * % / 100`` rounded half-up to cents.
Split status: PENDING → AWAITING_CREDIT (payment RECEIVED/CONFIRMED) → DONE (control endpoint
``POST /_emulator/payments/{id}/settle``); CANCELLED with ``cancellationReason``
PAYMENT_RECEIVED_IN_CASH on receiveInCash; REFUNDED on a full refund.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from .common import ApiError, Json, money, to_decimal
from .config import EmulatorConfig
from .models import Account, Split

PERCENT_PLACES = Decimal("0.0001")


def brl(value: Decimal) -> str:
    """Brazilian money text, e.g. ``R$ 98,01``."""
    return "R$ " + f"{value:.2f}".replace(".", ",")


class SplitRules:
    def __init__(self, config: EmulatorConfig, wallet_exists: Callable[[str], bool]) -> None:
        self.config = config
        self.wallet_exists = wallet_exists

    def _split_error(self, description: str) -> ApiError:
        return ApiError(400, self.config.split_error_code, description)

    def build(self, account: Account, raw: Json, net: Decimal) -> list[Split]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise self._split_error("O split deve ser uma lista de carteiras.")
        splits: list[Split] = []
        for item in raw:
            if not isinstance(item, dict):
                raise self._split_error("Cada item do split deve ser um objeto.")
            wallet = item.get("walletId")
            if not isinstance(wallet, str) or not wallet.strip():
                raise self._split_error("O walletId do split deve ser informado.")
            fixed = to_decimal(item["fixedValue"]) if item.get("fixedValue") is not None else None
            pct_raw = item.get("percentualValue")
            pct = to_decimal(pct_raw) if pct_raw is not None else None
            if item.get("fixedValue") is None and pct_raw is None:
                raise self._split_error("Informe fixedValue ou percentualValue para o split.")
            if item.get("fixedValue") is not None and (fixed is None or fixed <= 0):
                raise self._split_error("O valor fixo do split deve ser maior que zero.")
            if pct_raw is not None and (pct is None or pct <= 0 or pct > 100):
                raise self._split_error("O percentual do split deve estar entre 0 e 100.")
            if wallet == account.wallet_id:
                raise self._split_error("Não é permitido informar a sua própria carteira no split.")
            if self.config.reject_unknown_split_wallets and not self.wallet_exists(wallet):
                raise self._split_error(f"A carteira {wallet} não foi encontrada.")
            external = item.get("externalReference")
            description = item.get("description")
            splits.append(
                Split(
                    id=str(uuid.uuid4()),
                    wallet_id=wallet,
                    fixed_value=money(fixed) if fixed is not None else None,
                    percentual_value=pct.quantize(PERCENT_PLACES) if pct is not None else None,
                    total_value=Decimal("0.00"),
                    external_reference=str(external) if external is not None else None,
                    description=str(description) if description is not None else None,
                )
            )
        self.check_totals(splits, net)
        return splits

    def check_totals(self, splits: list[Split], net: Decimal) -> None:
        """Recompute each ``totalValue`` on ``net`` and enforce the three limits."""
        fixed_sum = sum((s.fixed_value or Decimal(0) for s in splits), Decimal("0.00"))
        pct_sum = sum((s.percentual_value or Decimal(0) for s in splits), Decimal(0))
        for split in splits:
            share = money(net * (split.percentual_value or Decimal(0)) / Decimal(100))
            split.total_value = money((split.fixed_value or Decimal(0)) + share)
        total = sum((s.total_value for s in splits), Decimal("0.00"))
        if fixed_sum > net:
            raise self._split_error(
                f"A soma dos valores fixos do split ({brl(fixed_sum)}) excede o valor líquido "
                f"da cobrança ({brl(net)})."
            )
        if pct_sum > 100:
            raise self._split_error("A soma dos percentuais do split excede 100%.")
        if total > net:
            raise self._split_error(
                f"O valor total do split ({brl(total)}) excede o valor líquido da cobrança "
                f"({brl(net)})."
            )
