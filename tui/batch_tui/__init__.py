"""batch-tui: a terminal dashboard for Check API batch verification jobs."""

__version__ = "0.1.0"
