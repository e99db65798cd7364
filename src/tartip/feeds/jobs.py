"""Scheduled work of the feeds domain."""
