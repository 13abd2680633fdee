"""``python -m chaos [--quick]``."""

from .cli import main

raise SystemExit(main())
