"""Seawatch: an open cooperative maritime picture."""

__version__ = "0.1.0"
