"""The Textual dashboard. It talks to the service only through ``BatchMonitor``."""
