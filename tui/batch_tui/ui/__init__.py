"""The Textual dashboard. It talks to the service only through ``BatchMonitor``.

Its packages, bottom first (each imports only from those below it; tests/test_layers.py
holds the order): the loose modules (text, styles, the command table, the view,
the connection, workers, textual_compat), ``dialogs/``, ``widgets/``, ``screens/``
(history, results), ``alerts/`` (on screen, desktop, hook), ``dashboard/`` (the
screen and the objects it hands commands to), and ``app.py``, which wires them.
"""
