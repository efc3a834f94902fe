"""The dashboard's widgets: list, detail pane, errors table and status line."""
