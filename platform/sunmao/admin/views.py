"""Admin views: who may enter, and what each platform object allows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import g, redirect, request
from flask_admin import AdminIndexView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField
from wtforms.validators import Optional

from sunmao.http.context import context, language
from sunmao.http.i18n import DEFAULT_TIMEZONE, format_value_datetime
from sunmao.http.i18n import lazy_gettext as _l
from sunmao.meta.model import ADMIN_ROLE


def _local_time(_view: Any, value: datetime, _name: str) -> str:
    """Stored UTC, shown in the installation's time zone in the reader's one date format (as on /app)."""
    return format_value_datetime(value, language(), DEFAULT_TIMEZONE)


def _is_admin() -> bool:
    user = g.get("user")
    return user is not None and ADMIN_ROLE in user.roles


class Guarded:
    """Mixin: only the admin role; everyone else is sent to sign in (or refused)."""

    def is_accessible(self) -> bool:
        return _is_admin()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(f"/login?next={request.path}")
        from flask import abort

        abort(403)


class IndexView(Guarded, AdminIndexView):
    pass


class SecureModelView(Guarded, ModelView):
    form_base_class = FlaskForm
    page_size = 50
    can_view_details = True
    column_type_formatters = {**typefmt.BASE_FORMATTERS, datetime: _local_time}
    column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, datetime: _local_time}


class ReadOnlyView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False


def _roles_choices() -> list[tuple[str, str]]:
    snap = context().snapshot
    roles = dict(snap.roles) if snap is not None else {ADMIN_ROLE: None}
    lang = language()
    return [(k, v.get(lang) if v is not None else k) for k, v in roles.items()]


class UserView(SecureModelView):
    """Users: roles from the app manifest; a new password is hashed with argon2 (never stored plain)."""

    column_list = ("username", "display_name", "roles", "language", "active", "failed_logins", "locked_until",
                   "created_at")
    column_searchable_list = ("username", "display_name")
    column_filters = ("active",)
    form_columns = ("username", "display_name", "role_list", "new_password", "language", "active")
    form_extra_fields = {
        "role_list": SelectMultipleField("Roles", choices=[]),
        "new_password": PasswordField("New password", validators=[Optional()]),
    }
    can_delete = False
    column_labels = {"username": _l("Username"), "display_name": _l("Full name"), "roles": _l("Roles"),
                     "role_list": _l("Roles"), "new_password": _l("New password"), "language": _l("Language"),
                     "active": _l("Active"), "failed_logins": _l("Failed logins"),
                     "locked_until": _l("Locked until"), "created_at": _l("Created")}
    column_formatters = {"roles": lambda _v, _c, m, _n: ", ".join(m.roles or [])}

    def _fill_choices(self, form: Any) -> Any:
        form.role_list.choices = _roles_choices()
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._fill_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        form = self._fill_choices(super().edit_form(obj))
        if request.method == "GET" and obj is not None:
            form.role_list.data = list(obj.roles or [])
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        from argon2 import PasswordHasher

        model.roles = sorted(set(form.role_list.data or []))
        if form.new_password.data:
            if len(form.new_password.data) < 8:
                raise ValueError("the password must have at least 8 characters")
            model.password_hash = PasswordHasher().hash(form.new_password.data)
            model.failed_logins = 0
            model.locked_until = None
        if is_created:
            model.created_at = datetime.now(UTC)
            model.failed_logins = model.failed_logins or 0
            if not model.password_hash:
                raise ValueError("a new user needs a password")


class TokenView(SecureModelView):
    """API tokens: revoke or delete; new tokens are made with `sunmao token create` (shown once)."""

    can_create = False
    column_list = ("name", "user_id", "created_at", "last_used_at", "revoked")
    form_columns = ("name", "revoked")
    column_filters = ("revoked",)


class AuditView(ReadOnlyView):
    column_labels = {"at": _l("At"), "entity": _l("Entity"), "record_id": _l("Record"), "action": _l("Action"),
                     "user_id": _l("User"), "revision": _l("Revision"), "diff": _l("Changes")}
    column_list = ("at", "entity", "record_id", "action", "user_id", "revision")
    column_default_sort = ("id", True)
    column_filters = ("entity", "action", "record_id", "user_id")
    column_formatters = {"diff": lambda _v, _c, m, _n: json.dumps(m.diff, ensure_ascii=False)[:2000]}
    column_details_list = ("at", "entity", "record_id", "action", "user_id", "revision", "diff")


class RevisionView(ReadOnlyView):
    column_list = ("version", "note", "created_at", "created_by")
    column_default_sort = ("version", True)
    column_details_list = ("version", "note", "created_at", "created_by")


class DepartmentView(SecureModelView):
    """The org chart's departments (people are placed with `sunmao.org.assign`)."""

    column_list = ("key", "name", "parent_id", "head_user_id")
    column_labels = {"key": _l("Key"), "name": _l("Name"), "parent_id": _l("Parent"), "head_user_id": _l("Head")}
    form_columns = ("key", "name", "parent_id", "head_user_id")


class DeliveryView(ReadOnlyView):
    """Outbound webhook and robot deliveries: the log and the dead letters (replay: `sunmao webhooks replay`)."""

    column_exclude_list = ("body", "target", "response_excerpt")
    column_default_sort = ("id", True)
    column_filters = ("status", "webhook", "topic")


class JobRunView(ReadOnlyView):
    column_exclude_list = ("args",)
    column_default_sort = ("id", True)
    column_filters = ("job", "status")


class InboundView(ReadOnlyView):
    """Raw inbound deliveries as received (replay after a fix: `sunmao hooks replay ID`)."""

    column_exclude_list = ("body", "headers", "query", "response", "outcome")
    column_default_sort = ("id", True)
    column_filters = ("channel", "status")


__all__ = ["DepartmentView", "DeliveryView", "JobRunView", "InboundView", "IndexView", "UserView", "TokenView",
           "AuditView", "RevisionView", "StringField"]
