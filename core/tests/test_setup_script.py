"""./setup.sh stops up front, with one pt-BR line, when its port is taken (no "pronta" first)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_busy_port_is_one_clear_message_before_anything_runs() -> None:
    env_file = ROOT / ".env"
    had_env = env_file.exists()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            ["bash", "setup.sh", "-y", "--local"],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port), "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("erro:")]
    assert len(errors) == 1, output
    # Another setup.sh running in this folder is the other accepted reason (same clarity).
    assert f"A porta {port} já está em uso" in errors[0] or "Outro ./setup.sh" in errors[0]
    assert "pronta" not in output
    assert "Traceback" not in output
    assert env_file.exists() == had_env  # nothing was prepared
