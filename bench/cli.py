"""``python -m bench``: load the data sets, run the benchmark, or both.

    python -m bench load [--sets 1m,10k] [--force]
    python -m bench run [--quick] [--rounds N] [--sets 1m,10k] [--compare-ref REF]
                        [--asaas-latency] [--only TEXT[,TEXT...]] [--json PATH]
    python -m bench all [same options as run]     # load what is missing, then run
    python -m bench inproc [--set 1m] [--only TEXT[,TEXT...]] [--requests N] [--rounds N]
                                                  # CPU per request in one process, no wrk

See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import sys

from .datasets import DATASETS, Dataset, dataset_ensure


def _sets(text: str) -> list[Dataset]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = [key for key in keys if key not in DATASETS]
    if unknown:
        raise argparse.ArgumentTypeError(f"conjuntos desconhecidos: {', '.join(unknown)}")
    return [DATASETS[key] for key in keys]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load", help="carrega os conjuntos de dados que faltam")
    load.add_argument("--sets", type=_sets, default="1m,10k")
    load.add_argument("--force", action="store_true", help="recria os bancos e recarrega")
    one = sub.add_parser("load-one", help="(interno) carrega no DATABASE_URL configurado")
    one.add_argument("--professionals", type=int, required=True)
    one.add_argument("--per-professional", type=int, required=True)
    for name in ("run", "all"):
        run = sub.add_parser(name, help="mede" if name == "run" else "carrega o que falta e mede")
        run.add_argument("--sets", type=_sets, default="1m,10k")
        run.add_argument("--quick", action="store_true", help="1 rodada de 5 s")
        run.add_argument("--rounds", type=int, default=None)
        run.add_argument("--duration", type=int, default=None, help="segundos por medição")
        run.add_argument("--warmup", type=int, default=3)
        run.add_argument("--connections", type=int, default=16)
        run.add_argument("--workers", type=int, default=5)
        run.add_argument("--compare-ref", default=None, help="mede também o código deste ref git")
        run.add_argument(
            "--asaas-latency",
            action="store_true",
            help="também o agendamento com o emulador do Asaas a 2 s de latência",
        )
        run.add_argument(
            "--only",
            default=None,
            help="só endpoints cujo nome contém o texto (ou um dos textos separados por vírgula)",
        )
        run.add_argument("--port", type=int, default=18100)
        run.add_argument("--json", default=None, help="arquivo de resultados (JSON)")
    inproc = sub.add_parser("inproc", help="CPU por requisição num processo só (sem wrk)")
    inproc.add_argument("--set", dest="dataset", type=_sets, default="1m")
    inproc.add_argument("--only", default=None, help="como em run (textos separados por vírgula)")
    inproc.add_argument("--requests", type=int, default=2000, help="requisições por rodada")
    inproc.add_argument("--rounds", type=int, default=3)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if isinstance(getattr(args, "sets", None), str):
        args.sets = _sets(args.sets)
    if args.command == "load-one":
        import django

        django.setup()
        from .loader import dataset_load

        result = dataset_load(
            professionals=args.professionals,
            per_professional=args.per_professional,
            progress=lambda message: print(f"  {message}", flush=True),
        )
        print(
            f"  carregado em {result.seconds} s: {result.professionals} profissionais, "
            f"{result.patients} pacientes, {result.appointments} consultas, "
            f"{result.charges} cobranças",
            flush=True,
        )
        return 0
    if args.command == "inproc":
        from .inproc import run as inproc_run

        datasets = _sets(args.dataset) if isinstance(args.dataset, str) else args.dataset
        if len(datasets) != 1:
            raise SystemExit("--set: um conjunto só")
        return inproc_run(datasets[0], args.only, args.requests, args.rounds)
    if args.command in {"load", "all"}:
        for dataset in args.sets:
            dataset_ensure(dataset, force=getattr(args, "force", False))
    if args.command in {"run", "all"}:
        from .runner import RunOptions, run

        return run(RunOptions.from_args(args))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
