"""Clearwater: honest measurement of psychological therapy services."""

__version__ = "0.1.0"
