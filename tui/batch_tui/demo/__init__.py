"""The demo service: simulated batches (``simulator``) served over real HTTP (``server``).

It imports nothing from Textual: tests, benchmarks and ``batch-tui demo-server``
use it without the dashboard.
"""
