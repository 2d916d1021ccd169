"""Attach the back office to each app (one per published version) when its blueprint registers."""

from __future__ import annotations

import warnings
from typing import Any

from flask import Blueprint, request
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy.orm import scoped_session, sessionmaker

from sunmao.admin import models, views
from sunmao.http.context import language
from sunmao.http.i18n import TRANSLATIONS, init_babel
from sunmao.http.i18n import lazy_gettext as _l

blueprint = Blueprint("sunmao_admin", __name__, template_folder="templates")


@blueprint.record_once
def _setup(state: Any) -> None:
    app = state.app
    init_babel(app)
    app.jinja_env.globals.setdefault("sm_language", language)  # the back office's brand and language switch
    runtime = app.extensions["sunmao"].runtime
    session = scoped_session(sessionmaker(bind=runtime.db.engine))
    app.teardown_appcontext(lambda _exc: session.remove())
    admin = Admin(app, name="榫卯 · 后台", url="/admin", index_view=views.IndexView(url="/admin"),
                  theme=Bootstrap4Theme(swatch="default", base_template="sunmao_admin/master.html"),
                  translations_path=str(TRANSLATIONS))
    admin.add_link(MenuLink(name=_l("← Back to the app"), url="/app"))
    with warnings.catch_warnings():  # Flask-Admin 2.2 prefers a Flask-SQLAlchemy object; we have plain sessions
        warnings.simplefilter("ignore", DeprecationWarning)
        _add_views(admin, views, models, session)
    app.after_request(_admin_policy)


#: Flask-Admin's templates use inline event handlers (onclick), so its pages allow inline scripts —
#: nothing else does; everything else of the policy is the screens' (own files only, no framing by others).
ADMIN_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")


def _admin_policy(response: Any) -> Any:
    if request.blueprint and request.blueprint.startswith("admin") or request.path.startswith("/admin/"):
        response.headers["Content-Security-Policy"] = ADMIN_CSP  # over the app-wide page default
    return response


def _add_views(admin: Admin, views: Any, models: Any, session: Any) -> None:
    admin.add_view(views.UserView(models.User, session, name=_l("Users"), endpoint="admin_users"))
    admin.add_view(views.TokenView(models.Token, session, name=_l("Tokens"), endpoint="admin_tokens"))
    admin.add_view(views.AuditView(models.AuditEntry, session, name=_l("Audit"), endpoint="admin_audit"))
    admin.add_view(views.RevisionView(models.Revision, session, name=_l("Revisions"), endpoint="admin_revisions"))
    admin.add_view(views.DepartmentView(models.Department, session, name=_l("Departments"),
                                        endpoint="admin_departments"))
    admin.add_view(views.DeliveryView(models.Delivery, session, name=_l("Deliveries"),
                                      endpoint="admin_deliveries"))
    admin.add_view(views.InboundView(models.InboundDelivery, session, name=_l("Inbound"),
                                     endpoint="admin_inbound"))
    admin.add_view(views.JobRunView(models.JobRun, session, name=_l("Jobs"), endpoint="admin_jobs"))
