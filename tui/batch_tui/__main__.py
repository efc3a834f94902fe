"""Run batch-tui with ``python -m batch_tui``."""

from batch_tui.cli import main

raise SystemExit(main())
