"""Storage: database connections, the platform's own tables, entity tables and live migrations.

:class:`Prepared` is the one way to run a hot statement below ``Connection.execute`` (see
``storage/_prepared.py`` for why, what it relies on and what it gives up); its module is
private to this package.
"""

from sunmao.storage._prepared import Prepared, Rows
from sunmao.storage.db import Database

__all__ = ["Database", "Prepared", "Rows"]
