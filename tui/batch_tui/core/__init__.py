"""The bottom layer: clock, defaults, paths, private files, text safety and display
formatting. Imports nothing else of batch_tui."""
