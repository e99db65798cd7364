"""Tartip: software for a unified micromobility operator."""

__version__ = "0.1.0"
