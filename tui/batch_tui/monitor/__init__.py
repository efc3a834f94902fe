"""Deciding what to poll and when, and keeping the latest snapshot of every batch.

It imports nothing from Textual: the dashboard drives it, but so can a script.
"""
