"""A standalone Asaas API v3 emulator (stdlib only; imports nothing from the project's apps).

Run it with ``python -m payments.emulator --port 8001`` or ``manage.py run_asaas_emulator``;
in tests::

    from payments.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(port=0)) as server:
        requests.get(f"{server.url}/v3/wallets/", headers={"access_token": server.api_key})

Modules: ``config`` (settings, fee table), ``state`` (accounts, customers), ``payments``
(charges, split, refunds), ``models`` (records and their JSON), ``api`` (``/v3`` handlers),
``control`` (``/_emulator`` endpoints), ``faults``, ``webhooks`` (dispatcher), ``documents``
(CPF/CNPJ), ``pix`` (QR payload/PNG), ``server`` (HTTP), ``cli``.
"""

from .config import EmulatorConfig, FeeRule
from .server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "FeeRule"]
