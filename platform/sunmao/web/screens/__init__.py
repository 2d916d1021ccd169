"""Screens generated from the snapshot under ``/app/`` (see routes.py)."""
