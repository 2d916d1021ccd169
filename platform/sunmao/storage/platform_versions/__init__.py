"""The revision chain of the platform's own tables (``sm_*``), read by :mod:`sunmao.storage.upgrade`.

One module per revision, ``vNNNN_what.py``, each with ``revision``, ``down_revision`` and
``upgrade()`` using ``alembic.op``. A table a feature adds is created by ``create_all`` when it is
missing (new tables need no revision); a change to a table that already exists in installations —
a column, an index, a trigger, data — is a new revision here. A new database runs every revision
on tables ``create_all`` just made as they are today, so each revision checks before it changes
(a column only when missing, a trigger if not there).
"""
