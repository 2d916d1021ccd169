"""Sunmao: forms, tables, flows, hooks and boards generated at runtime from JSON metadata."""

__version__ = "0.1.0"
