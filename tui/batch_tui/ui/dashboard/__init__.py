"""The dashboard screen and the objects it hands each command to."""
