"""The back office at ``/admin`` (Flask-Admin): users, roles, API tokens, audit log, revisions.

Platform objects are plain SQLAlchemy Core tables; Flask-Admin's ModelViews need mapped
classes, so :mod:`.models` maps the ``sm_*`` tables imperatively (once per process). Only the
admin role may enter; the audit log and revisions are read-only. Forms use Flask-WTF's
FlaskForm so that the app-wide CSRFProtect accepts them.
"""
