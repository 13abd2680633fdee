"""``python manage.py run_asaas_emulator``: run the standalone Asaas v3 emulator.

Same options as ``python -m payments.emulator``; defaults for the API key, webhook token and
port come from the Django settings ``ASAAS_API_KEY``, ``ASAAS_WEBHOOK_TOKEN`` and
``ASAAS_EMULATOR_PORT`` when they exist; the control token from the environment variable
``ASAAS_EMULATOR_CONTROL_TOKEN`` (``.env`` is loaded into the environment by the settings).
"""

from __future__ import annotations

import errno
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from payments.emulator.cli import add_arguments, config_from_options, run
from payments.emulator.config import DEFAULT_API_KEY


class Command(BaseCommand):
    help = "Runs the Asaas API v3 emulator (HTTP server, in-memory state, webhook dispatcher)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(
            parser,
            {
                "api_key": getattr(settings, "ASAAS_API_KEY", "") or DEFAULT_API_KEY,
                "webhook_token": getattr(settings, "ASAAS_WEBHOOK_TOKEN", None) or None,
                "port": int(getattr(settings, "ASAAS_EMULATOR_PORT", 8001)),
            },
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = config_from_options(options)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        token_file = options.get("control_token_file")
        try:
            run(config, str(token_file) if token_file else None)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            # One clear line instead of a traceback (e.g. while ./setup.sh runs the emulator).
            raise CommandError(
                _(
                    "A porta %(port)s já está em uso: o emulador (ou o ./setup.sh) já está "
                    "rodando? Use outra porta: --port %(next)s (ou ASAAS_EMULATOR_PORT)."
                )
                % {"port": config.port, "next": config.port + 1}
            ) from None
