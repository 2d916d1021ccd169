"""Every kind of page of the screens: each module registers its routes on ``routes.blueprint``.

The web feature (``web/feature.py``) mounts :data:`blueprint` from here, so that importing it
brings every page; a new kind of page is a module of this package listed in :data:`PAGES`.
"""

from __future__ import annotations

from sunmao.web.screens import (
    boards,
    bulk,
    editing,
    home,
    importing,
    inbox,
    listing,
    notices,
    record,
    reporting,
    scan,
    trash,
)
from sunmao.web.screens.routes import blueprint

PAGES = (home, listing, bulk, editing, record, boards, trash, inbox, notices, scan, reporting, importing)

__all__ = ["PAGES", "blueprint"]
