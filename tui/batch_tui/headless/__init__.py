"""The scripts: ``status`` prints a table or JSON once, ``watch`` follows batches to the end."""
