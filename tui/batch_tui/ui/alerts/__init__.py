"""Alerts: what the monitor's batch events become on screen, on the desktop and in the hook."""
