"""What batch-tui hands to the world outside the dashboard: event hooks, exports and the
remembered watch list."""
