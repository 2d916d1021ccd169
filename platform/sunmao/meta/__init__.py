"""Metadata: load and validate documents, compile them into immutable snapshots, keep revisions."""

from sunmao.meta.errors import MetadataError, Problem

__all__ = ["MetadataError", "Problem"]
