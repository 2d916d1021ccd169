"""The back office (Flask-Admin) over the platform's own tables."""

from __future__ import annotations

from sunmao.admin import routes
from sunmao.feature import Feature, Mount

FEATURE = Feature(name="admin", blueprints=(Mount(routes.blueprint),))
