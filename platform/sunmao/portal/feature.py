"""The customer portal: "where is my order?" without an account."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.portal import routes, tables

FEATURE = Feature(name="portal", blueprints=(Mount(routes.blueprint),), tables=(tables.attempt,))
