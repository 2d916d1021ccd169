"""Pull channels: poll a provider's order API with signed requests, page by page, from a cursor.

Alibaba.com's open platform does not push orders to a small seller's server; it is polled.
Requests are signed the open-platform way (:func:`sign`): the system parameters
``app_key``, ``timestamp``, ``sign_method=sha256`` and ``method`` join the business
parameters; every parameter is sorted by name, concatenated as name+value with nothing in
between, HMAC-SHA256'd with the app secret, and the upper-case hex digest is sent as
``sign``.

Each fetched order is fed through the same intake as a webhook (:func:`.intake.ingest`):
stored raw, de-duplicated by the channel's key (provider order id + modification time),
mapped, matched, held or created. The cursor — the largest modification time seen — is
kept in ``sm_inbound_cursor`` and only advanced after a run, and the next run asks for
orders changed *since and including* it: an order seen twice is a duplicate that creates
nothing, an order missed is never possible.

:func:`pull_all` is what a scheduled job calls; ``sunmao hooks pull CHANNEL`` runs one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sunmao.errors import SunmaoError
from sunmao.i18n import Text
from sunmao.records import RecordService
from sunmao.snapshot import Snapshot
from sunmao.storage import Database

from .errors import ChannelNotReady, ProviderFailed
from .intake import channels, get_channel, ingest
from .model import Channel, Pull
from .paths import MISSING, get_path
from .secrets import SecretStore, secret_store
from .tables import cursor as cursor_table


def sign(params: dict[str, str], secret: str) -> str:
    """The open-platform signature: sorted name+value pairs, HMAC-SHA256, upper-case hex."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


@dataclass
class PullResult:
    channel: str
    pages: int = 0
    fetched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    cursor_before: str | None = None
    cursor_after: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "pages": self.pages, "fetched": self.fetched, "statuses": self.statuses,
                "cursor_before": self.cursor_before, "cursor_after": self.cursor_after, "errors": self.errors}


def _format_time(moment: datetime, fmt: str, zone: tzinfo = UTC) -> str:
    if fmt == "local":
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if fmt == "unix_ms":
        return str(int(moment.timestamp() * 1000))
    if fmt == "unix":
        return str(int(moment.timestamp()))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sortable(value: Any, fmt: str, zone: tzinfo = UTC) -> Any:
    """A cursor value comparable with another of the same channel (numbers as numbers, times as times)."""
    if fmt in ("unix", "unix_ms"):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return Decimal(0)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=zone if fmt == "local" else UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def read_cursor(db: Database, channel: str) -> str | None:
    with db.read() as conn:
        return conn.execute(sa.select(cursor_table.c.cursor).where(cursor_table.c.channel == channel)).scalar()


def _save_cursor(db: Database, channel: str, value: str | None, run: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    with db.write() as conn:
        exists = conn.execute(sa.select(cursor_table.c.channel).where(cursor_table.c.channel == channel)).first()
        if exists is None:
            conn.execute(cursor_table.insert().values(channel=channel, cursor=value or "", updated_at=now,
                                                      last_run=run))
        else:
            values: dict[str, Any] = {"updated_at": now, "last_run": run}
            if value is not None:
                values["cursor"] = value
            conn.execute(cursor_table.update().where(cursor_table.c.channel == channel).values(values))


def _request(p: Pull, base_url: str, params: dict[str, str]) -> Any:
    if not base_url.startswith(("http://", "https://")):
        raise ProviderFailed(Text(f"接口地址 {base_url} 应以 http:// 或 https:// 开头",
                                  f"the API address {base_url} must start with http:// or https://"))
    data = urllib.parse.urlencode(params).encode()
    if p.http_method == "GET":
        req = urllib.request.Request(f"{base_url}?{data.decode()}", method="GET")  # noqa: S310
    else:
        req = urllib.request.Request(base_url, data=data, method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
    req.add_header("Accept", "application/json")
    try:
        # The URL comes from metadata whose schema allows only http(s).
        with urllib.request.urlopen(req, timeout=p.timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        text = exc.read()[:500].decode("utf-8", "replace")
        raise ProviderFailed(Text(f"渠道接口返回 HTTP {exc.code}：{text}",
                                  f"the provider answered HTTP {exc.code}: {text}")) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProviderFailed(Text(f"无法连接渠道接口 {base_url}：{reason}",
                                  f"cannot reach {base_url}: {reason}")) from None
    try:
        return json.loads(raw, parse_float=Decimal)
    except ValueError:
        raise ProviderFailed(Text("渠道接口返回的不是 JSON", "the provider did not answer with JSON")) from None


def _credentials(p: Pull, store: SecretStore) -> tuple[str, str, str | None]:
    values = {name: store.get(name) for name in (p.app_key_secret, p.app_secret, p.access_token_secret) if name}
    missing = [name for name, value in values.items() if not value]
    if missing:
        names = ", ".join(missing)
        raise ChannelNotReady(Text(f"拉取渠道缺少密钥 {names}：请运行 sunmao secret set {missing[0]}",
                                   f"the pull channel's secrets {names} are not set: run `sunmao secret set "
                                   f"{missing[0]}`"))
    token = values.get(p.access_token_secret) if p.access_token_secret else None
    return values[p.app_key_secret] or "", values[p.app_secret] or "", token


def pull(db: Database, snapshot: Snapshot, key: str, *, base_url: str | None = None,
         secrets: SecretStore | None = None, now: datetime | None = None) -> PullResult:
    """Fetch new and changed orders of pull channel ``key`` since its cursor; feed each through intake."""
    channel: Channel = get_channel(snapshot, key, mode="pull")
    p = channel.pull
    assert p is not None  # the meta-schema requires it for pull channels
    now = now or datetime.now(UTC)
    app_key, app_secret, token = _credentials(p, secrets or secret_store(db))
    result = PullResult(channel.key, cursor_before=read_cursor(db, channel.key))
    zone = channel.time_zone
    since = result.cursor_before or _format_time(now - timedelta(hours=p.initial_lookback_hours), p.cursor_format,
                                                 zone)
    newest: str | None = None
    records = RecordService(db, snapshot)
    for page in range(p.first_page, p.first_page + p.max_pages):
        params = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in p.params.items()}
        params.update({"app_key": app_key, "timestamp": _format_time(datetime.now(UTC), p.timestamp_format),
                       "sign_method": "sha256", "method": p.method, p.page_param: str(page),
                       p.page_size_param: str(p.page_size)})
        if p.cursor_param:
            params[p.cursor_param] = since
        if token:
            params["access_token"] = token
        params["sign"] = sign(params, app_secret)
        body = _request(p, base_url or p.base_url, params)
        if p.error is not None and get_path(body, p.error) is not MISSING:
            err = get_path(body, p.error)
            raise ProviderFailed(Text(f"渠道接口报错：{json.dumps(err, ensure_ascii=False, default=str)[:300]}",
                                      f"the provider reported an error: {json.dumps(err, default=str)[:300]}"))
        items = get_path(body, p.items)
        items = items if isinstance(items, list) else []
        result.pages += 1
        result.fetched += len(items)
        for item in items:
            try:
                answer = ingest(db, snapshot, channel, item, records=records, received_at=now,
                                headers={"x-sunmao-pull-page": str(page)})
                status = answer.body.get("status", "ignored") if isinstance(answer.body, dict) else "ignored"
                if answer.duplicate_of is not None:
                    status = "duplicate"
            except SunmaoError as exc:
                status = "rejected"
                fields = "; ".join(f"{path}: {', '.join(m.en for m in msgs)}" for path, msgs in exc.errors.items())
                result.errors.append(f"#{exc.extra.get('delivery')}: {exc}" + (f" ({fields})" if fields else ""))
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if p.cursor_from is not None:
                seen = get_path(item, p.cursor_from)
                if seen is not MISSING and seen is not None and (
                        newest is None or _sortable(seen, p.cursor_format, zone) > _sortable(newest, p.cursor_format,
                                                                                              zone)):
                    newest = str(seen)
        if len(items) < p.page_size:
            break
    if newest is not None and result.cursor_before is not None and \
            _sortable(newest, p.cursor_format, zone) < _sortable(result.cursor_before, p.cursor_format, zone):
        newest = None  # never move the cursor backwards
    result.cursor_after = newest or result.cursor_before
    _save_cursor(db, channel.key, newest, {**result.as_dict(), "at": now.isoformat()})
    return result


def pull_all(runtime: Any) -> list[PullResult]:
    """Pull every enabled pull channel of the published version (the scheduled job's entry point)."""
    snapshot = runtime.snapshot()
    results = []
    for channel in channels(snapshot).values():
        if channel.mode == "pull" and channel.enabled:
            try:
                results.append(pull(runtime.db, snapshot, channel.key))
            except SunmaoError as exc:
                results.append(PullResult(channel.key, errors=[str(exc)]))
    return results
