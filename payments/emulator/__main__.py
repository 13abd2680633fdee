"""``python -m payments.emulator --port 8001 ...``"""

from .cli import main

raise SystemExit(main())
