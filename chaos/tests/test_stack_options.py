"""The campaign hands the emulator its random control token as one argument: a token that
starts with "-" (one in 64 of ``secrets.token_urlsafe``) must not read as an option."""

from __future__ import annotations

import argparse
import shutil

from chaos.stack import Stack
from payments.emulator.cli import add_arguments


def test_a_control_token_starting_with_a_dash_reaches_the_emulator() -> None:
    stack = Stack(quick=True, control_token="-starts-like-an-option")
    try:
        options = stack._emulator_options()
    finally:
        shutil.rmtree(stack.workdir, ignore_errors=True)
    parser = argparse.ArgumentParser()
    add_arguments(parser)

    parsed = parser.parse_args(options)

    assert parsed.control_token == "-starts-like-an-option"
