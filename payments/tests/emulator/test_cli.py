from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from payments.emulator.cli import add_arguments, config_from_options

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def parse(*argv: str) -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return vars(parser.parse_args(argv))


def test_options_build_the_config() -> None:
    config = config_from_options(
        parse(
            "--port", "0", "--api-key", "$aact_hmlg_k", "--webhook-url", "http://127.0.0.1:1/h",
            "--webhook-token", "t" * 32, "--webhook-send-type", "NON_SEQUENTIALLY",
            "--webhook-retry-scale", "0.001", "--error-rate", "0.5", "--latency-ms", "20",
            "--rate-limit", "25/60", "--fees", '{"PIX": {"fixed": 0.99}}',
            "--allow-unknown-split-wallets", "--duplicate-webhooks",
        )
    )  # fmt: skip
    assert (config.port, config.api_key) == (0, "$aact_hmlg_k")
    assert config.webhook_send_type == "NON_SEQUENTIALLY"
    assert config.webhook_retry_scale == 0.001
    assert (config.error_rate, config.latency_ms) == (0.5, 20)
    assert config.rate_limit == (25, 60.0)
    assert config.fees["PIX"].fee(Decimal(100)) == Decimal("0.99")
    assert config.fees["CREDIT_CARD"].fee(Decimal(100)) == Decimal("3.48")
    assert config.reject_unknown_split_wallets is False
    assert config.duplicate_webhooks is True


def test_defaults_can_be_overridden_by_the_caller() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, {"api_key": "$aact_hmlg_from_settings", "port": 9123})
    options = vars(parser.parse_args([]))
    assert (options["api_key"], options["port"]) == ("$aact_hmlg_from_settings", 9123)


def test_bad_fees_are_rejected() -> None:
    with pytest.raises(ValueError, match="invalid fee rule"):
        config_from_options(parse("--fees", '{"PIX": {"fixed": -1}}'))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_control_token_and_opening_balance_options(monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_from_options(
        parse(
            "--control-token", "c" * 40, "--opening-balance", "250.5", "--clock-tick-seconds", "2"
        )
    )
    assert (config.control_token, config.opening_balance) == ("c" * 40, Decimal("250.50"))
    assert config.clock_tick_seconds == 2.0
    monkeypatch.setenv("ASAAS_EMULATOR_CONTROL_TOKEN", "from-env-" + "e" * 32)
    monkeypatch.setenv("ASAAS_EMULATOR_OPENING_BALANCE", "10")
    from_env = config_from_options(parse())
    assert from_env.control_token == "from-env-" + "e" * 32
    assert from_env.opening_balance == Decimal("10.00")
    with pytest.raises(ValueError, match="opening-balance"):
        config_from_options(parse("--opening-balance", "lots"))


def test_module_runs_and_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    secret = "$aact_hmlg_cli_secret_key"
    token_file = tmp_path / "control-token"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("ASAAS_EMULATOR_CONTROL_TOKEN", None)  # none configured: one is generated
    process = subprocess.Popen(
        [
            sys.executable, "-m", "payments.emulator", "--port", str(port), "--api-key", secret,
            "--control-token-file", str(token_file),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )  # fmt: skip
    session = requests.Session()
    session.trust_env = False
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                health = session.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.05)
        assert health.json() == {"status": "ok"}
        wallets = session.get(
            f"http://127.0.0.1:{port}/v3/wallets/?cpfCnpj=24971563792",
            headers={"access_token": secret},
            timeout=2,
        )
        assert wallets.status_code == 200
        state_url = f"http://127.0.0.1:{port}/_emulator/state"
        assert session.get(state_url, timeout=2).status_code == 401
        deadline = time.monotonic() + 5
        while not token_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        token = token_file.read_text().strip()
        assert token_file.stat().st_mode & 0o777 == 0o600
        headers = {"X-Emulator-Control-Token": token}
        assert session.get(state_url, headers=headers, timeout=2).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "GET /v3/wallets 200" in output or "GET /v3/wallets/ 200" in output
    assert "shutting down" in output
    assert f"control token generated and written to {token_file}" in output
    assert token not in output
    assert secret not in output
    assert "24971563792" not in output


def test_management_command_parses_the_same_options() -> None:
    django_settings = pytest.importorskip("django.conf").settings
    try:
        configured_key = getattr(django_settings, "ASAAS_API_KEY", None)
    except Exception as exc:  # noqa: BLE001 - settings missing or broken while others work
        pytest.skip(f"Django settings unavailable: {exc}")
    from payments.management.commands.run_asaas_emulator import Command

    parser = Command().create_parser("manage.py", "run_asaas_emulator")
    options = vars(parser.parse_args(["--port", "0", "--latency-ms", "5"]))
    config = config_from_options(options)
    assert (config.port, config.latency_ms) == (0, 5)
    if configured_key:
        assert config.api_key == configured_key


def test_busy_port_is_one_clear_line_in_portuguese() -> None:
    """Starting the emulator while another process holds its port: no traceback."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "run_asaas_emulator", "--port", str(port)],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "aviso" not in line.lower()]
    assert f"A porta {port} já está em uso" in result.stderr
    assert len([line for line in lines if "porta" in line]) == 1
