"""``python -m chaos``: start the stack, run (a)-(d), reconcile, print the figures."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from .campaign import Campaign
from .lifecycles import scenario_b
from .plan import FULL, QUICK
from .stack import Stack
from .verify import (
    REQUIRED,
    Figures,
    booking_figures,
    compare,
    drift_count,
    metrics_gap,
    reconcile,
    reconcile_available,
    server_errors_by_path,
)

log = logging.getLogger("chaos")

LABELS = {
    "lost_charges": "cobranças perdidas",
    "duplicated_charges": "cobranças duplicadas",
    "wrong_final_status": "status final errado",
    "wrong_refunded_amount": "valor reembolsado errado",
    "missing_ledger_rows": "linhas CHARGE/SPLIT faltando no ledger",
    "null_split_amounts": "cobranças com split NULL",
    "booking_5xx": "respostas 5xx em agendamentos",
    "slots_not_exactly_one": "horários sem exatamente 1 agendamento",
    "metrics_gap_brl": "paid_amount - (plataforma + repasses) (R$)",
    "drift_after_reconcile": "divergências depois da reconciliação",
    "processes_died_unexpectedly": "processos que morreram sozinhos",
}


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(campaign: Campaign, *, reconcile_enabled: bool) -> dict[str, Any]:
    report: dict[str, Any] = {"plan": campaign.plan.name, "scenarios": {}}
    phases = report["scenarios"]
    step = time.monotonic()
    campaign.setup()
    campaign.timings["setup_s"] = time.monotonic() - step
    log.info("(a) %d charged bookings under faults", campaign.plan.a_bookings)
    campaign.scenario_a()
    phases["a"] = compare(campaign).values
    log.info("(b) %d webhook deliveries", campaign.plan.b_deliveries)
    b = scenario_b(campaign)
    b_ids = set(b.pop("appointments"))
    b["right_after_replay"] = compare(campaign, subset=b_ids).values
    phases["b"] = b
    log.info("(c) consecutive and concurrent bookings, same patient and professional")
    phases["c"] = campaign.scenario_c()
    log.info("(d) web down for %.0f s while payments are confirmed", campaign.plan.d_down_seconds)
    phases["d"] = campaign.scenario_d(exclude=b_ids)
    # Let the system settle: retries, sweeper, replay and one periodic sync.
    campaign.emulator.clear_faults()
    campaign.emulator.flush(30)
    phases["d"]["webhooks_redelivered_after_failures"] = campaign.redelivered()
    campaign.wait_charged(
        campaign.billed_ids(), timeout=campaign.plan.converge_seconds, label="end"
    )
    time.sleep(20 if campaign.plan.name == "quick" else 35)
    figures = compare(campaign)
    booking_figures(campaign, figures)
    metrics_gap(campaign, figures)
    server_errors_by_path(campaign, figures)
    figures.values["idempotent_replays_wrong"] = phases["c"]["idempotent_replays_wrong"]
    _reconcile(campaign, figures, enabled=reconcile_enabled)
    report["figures"] = figures.values
    report["examples"] = figures.examples
    report["timings_s"] = {k: round(v, 1) for k, v in campaign.timings.items()}
    figures.values["processes_died_unexpectedly"] = len(campaign.stack.unexpected_exits)
    report["notes"] = campaign.notes + campaign.stack.unexpected_exits
    return report


def _reconcile(campaign: Campaign, figures: Figures, *, enabled: bool) -> None:
    if not enabled or not reconcile_available(campaign):
        reason = "desligado (--no-reconcile)" if not enabled else "comando não disponível"
        figures.values["reconcile"] = f"reconcile_payments: {reason}"
        figures.values["drift_before_reconcile"] = "n/a"
        figures.values["drift_after_reconcile"] = "n/a"
        return
    before = reconcile(campaign)
    fixed = reconcile(campaign, "--fix")
    after = reconcile(campaign)
    figures.values["drift_before_reconcile"] = drift_count(before)
    figures.values["drift_after_reconcile"] = drift_count(after)
    figures.values["drift_by_kind_before"] = before.get("drift_by_kind")
    figures.values["drift_by_kind_after"] = after.get("drift_by_kind")
    figures.values["reconcile_fixed"] = fixed.get("drift_fixed", fixed.get("error"))
    figures.examples["drift_after_reconcile"] = [str(d) for d in after.get("drifts", [])[:5]]
    if before.get("errors") or after.get("errors"):
        figures.values["reconcile_errors"] = (before.get("errors") or []) + (
            after.get("errors") or []
        )
    after_fix = compare(campaign)
    for key in REQUIRED[:6]:
        figures.values[f"{key}_after_reconcile"] = after_fix.values.get(key)


def failing(figures: dict[str, Any]) -> list[str]:
    """Required figures that are not 0 (``n/a`` is reported, not counted)."""
    return [key for key in REQUIRED if figures.get(key, 0) not in (0, "0", "n/a")]


def print_table(report: dict[str, Any]) -> None:
    figures = report["figures"]
    out = sys.stdout
    out.write(f"\n=== Campanha de falhas ({report['plan']}) ===\n")
    out.write(f"{'figura':<48} {'valor':>10}  obrigatório\n")
    for key in REQUIRED:
        value = figures.get(key, "n/a")
        mark = "ok" if value in (0, "0") else ("n/a" if value == "n/a" else "FALHOU")
        out.write(f"{LABELS[key]:<48} {value!s:>10}  {mark}\n")
    before = figures.get("drift_before_reconcile")
    out.write(f"{'divergências antes da reconciliação':<48} {before!s:>10}\n")
    if "reconcile" in figures:
        out.write(f"{figures['reconcile']}\n")
    for key in sorted(figures):
        if key not in REQUIRED and key not in {"drift_before_reconcile", "reconcile"}:
            out.write(f"  {key}: {figures[key]}\n")
    for name, data in report["scenarios"].items():
        out.write(f"({name}) {json.dumps(data, ensure_ascii=False, default=str)}\n")
    for key, examples in report["examples"].items():
        out.write(f"exemplos {key}: {examples}\n")
    out.write(f"tempos (s): {report['timings_s']}\n")
    for note in report["notes"]:
        out.write(f"nota: {note}\n")
    failed = failing(figures)
    out.write(
        f"RESULTADO: {'FALHOU: ' + ', '.join(failed) if failed else 'todas as figuras em 0'}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short CI version (~3 min)")
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    parser.add_argument("--logs", type=Path, help="copy the processes' logs to this folder")
    parser.add_argument(
        "--no-reconcile", action="store_true", help="skip manage.py reconcile_payments"
    )
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s chaos %(message)s")
    signal.signal(signal.SIGTERM, _terminate)
    stack = Stack(quick=options.quick)
    campaign = Campaign(QUICK if options.quick else FULL, stack)
    started = time.monotonic()
    try:
        log.info("starting the stack (database %s, work dir %s)", stack.db_name, stack.workdir)
        stack.start()
        report = run(campaign, reconcile_enabled=not options.no_reconcile)
    except KeyboardInterrupt:
        log.error("interrupted: stopping the stack")
        return 130
    finally:
        stack.close()
        if options.logs:
            stack.keep_logs(options.logs)
        stack.remove_workdir()
    report["total_s"] = round(time.monotonic() - started, 1)
    print_table(report)
    if options.json:
        options.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return 1 if failing(report["figures"]) else 0
