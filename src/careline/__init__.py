"""Careline: an open-source hospital contact center."""

__version__ = "0.1.0"
