"""Web adapters: one Flask app per published snapshot, behind a version dispatcher."""

from sunmao.web.dispatcher import VersionDispatcher, create_wsgi

__all__ = ["VersionDispatcher", "create_wsgi"]
