"""The intake path of one delivery: authenticate, answer pings, parse, de-duplicate, place, store.

    receive()  a webhook request           ─┐   authenticate, parse,    ┌ one write transaction: delivery
    pull       one order of a fetched page  ─┼─► answer pings, skip, ──►┤ claims its key, order placed,
    replay()   a stored delivery again     ─┘   idempotency key         └ outcome stored

Whatever happens, the raw delivery is kept in ``sm_inbound`` with its status and outcome
(a failed attempt is rolled back and the delivery stored again on its own, :func:`store.keep`):
``processed`` and ``held`` (accepted, 2xx), ``duplicate`` (the first answer is given again),
``ignored`` (pings and skipped test orders), ``rejected`` (4xx, replayable once the cause is
fixed). A rejected delivery writes nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa

from sunmao.errors import NotFound, NotReplayable, PayloadTooLarge, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.records import RecordService
from sunmao.rules.coerce import truthy
from sunmao.snapshot import Snapshot
from sunmao.storage import Database
from sunmao.storage.faults import unavailable

from . import store
from .auth import redact, verify
from .compiler import FEATURE
from .errors import ChannelNotFound, MalformedBody, MethodNotAllowed
from .model import Channel, Ping
from .orders import place_order
from .paths import MISSING, get_path, show_path
from .secrets import SecretStore, bound, secret_store

REPLAYABLE = ("received", "held", "rejected", "ignored")


@dataclass(frozen=True)
class Request:
    """A delivery as it arrived: header names lower-case, the body as raw bytes."""

    method: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    truncated: bool = False
    size: int = 0
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass(frozen=True)
class Answer:
    """What the sender is told: status and body (a dict is JSON, a str is text)."""

    status: int
    body: Any
    delivery: int | None
    duplicate_of: int | None = None


def channels(snapshot: Snapshot) -> dict[str, Channel]:
    return snapshot.features.get(FEATURE, {}) if snapshot.features else {}


def get_channel(snapshot: Snapshot, key: str, *, mode: str | None = None) -> Channel:
    channel = channels(snapshot).get(key)
    if channel is None or not channel.enabled:
        known = ", ".join(sorted(k for k, c in channels(snapshot).items() if c.enabled and (mode is None
                                                                                             or c.mode == mode)))
        raise ChannelNotFound(Text(f"没有启用的渠道 {key}；已启用：{known or '无'}",
                                   f"there is no enabled channel {key!r}; enabled: {known or 'none'}"))
    if mode is not None and channel.mode != mode:
        raise ChannelNotFound(Text(f"渠道 {key} 是{'拉取' if channel.mode == 'pull' else '推送'}渠道",
                                   f"channel {key!r} is a {channel.mode} channel"))
    return channel


# -- parsing --------------------------------------------------------------------------------

def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_json(body: bytes) -> Any:
    """JSON with exact decimals; a precise message (line, column) when it is malformed."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedBody(Text(f"请求体不是 UTF-8 文本（第 {exc.start + 1} 个字节）",
                                 f"the body is not UTF-8 text (byte {exc.start + 1})")) from None
    if not text.strip():
        raise MalformedBody(Text("请求体为空，应为 JSON", "the body is empty; a JSON document was expected"))
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise MalformedBody(Text(f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}",
                                 f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")) from None
    except ValueError as exc:
        raise MalformedBody(Text(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}")) from None


def parse_form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body)))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedBody(Text(f"表单格式错误：{exc}", f"malformed form body: {exc}")) from None


def _view(req: Request) -> dict[str, Any]:
    """What ping rules see: nothing here raises, a body that does not parse is null."""
    body: Any = None
    form: dict[str, str] = {}
    if req.content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_form(req.body)
        except MalformedBody:
            form = {}
    elif req.body:
        try:
            body = parse_json(req.body)
        except MalformedBody:
            body = None
    return {"method": req.method, "query": req.query, "headers": req.headers, "form": form, "body": body,
            "content_type": req.content_type}


def _ping_answer(ping: Ping, view: dict[str, Any]) -> Any:
    if ping.text is not None:
        value = ping.text(view)
        return "" if value is None else str(value)
    if ping.json:
        return {key: rule(view) for key, rule in ping.json}
    return {"status": "ok", "ping": ping.id}


def _match_ping(channel: Channel, view: dict[str, Any], *, signed: bool) -> Ping | None:
    for ping in channel.pings:
        if ping.signed == signed and truthy(ping.when(view)):
            return ping
    return None


# -- the pipeline ---------------------------------------------------------------------------

@dataclass
class _Ctx:
    channel: Channel
    snapshot: Snapshot
    records: RecordService
    secrets: SecretStore
    raw: store.RawDelivery
    lang: str
    #: The stored row of a replayed delivery; None until a new delivery is written.
    delivery: int | None = None
    #: The signature checked out (or the delivery was fetched by us, or verified when received).
    verified: bool = False

    @property
    def db(self) -> Database:
        return self.records.db


def _ignored(ctx: _Ctx, conn: sa.Connection, answer: Any, status: int, outcome: dict[str, Any]) -> Answer:
    """Pings and skipped orders: stored, answered, nothing else written. ``answer`` is the body, or
    a function of the delivery id giving it."""
    delivery = ctx.delivery if ctx.delivery is not None else store.insert(conn, ctx.raw, verified=ctx.verified)
    assert delivery is not None
    body = answer(delivery) if callable(answer) else answer
    store.finish(conn, delivery, "ignored", http_status=status, response=body, outcome=outcome,
                 verified=ctx.verified, release_claim=True)
    return Answer(status, body, delivery)


def _handle(ctx: _Ctx, req: Request) -> Answer:
    channel = ctx.channel
    if req.truncated:
        raise PayloadTooLarge(Text(f"请求体超过此渠道允许的 {channel.max_body_bytes} 字节",
                                   f"the body exceeds the {channel.max_body_bytes} bytes this channel accepts"),
                              limit=channel.max_body_bytes)
    with ctx.db.write() as conn:  # secrets read, delivery, order and outcome: one transaction
        return _handle_in(ctx, req, conn)


def _handle_in(ctx: _Ctx, req: Request, conn: sa.Connection) -> Answer:
    channel = ctx.channel
    view: dict[str, Any] = {}
    if not ctx.verified:
        view = _view(req) if channel.pings else {}
        ping = _match_ping(channel, view, signed=False)
        if ping is not None:
            return _ignored(ctx, conn, _ping_answer(ping, view), ping.status, {"ping": ping.id})
        verify(channel.auth, bound(ctx.secrets, conn), req.headers, req.query, req.body, req.received_at)
        ctx.verified = True
        ping = _match_ping(channel, view, signed=True)
        if ping is not None:
            return _ignored(ctx, conn, _ping_answer(ping, view), ping.status, {"ping": ping.id})
    if req.method not in ("POST", "PULL"):
        raise MethodNotAllowed(Text("请用 POST 发送订单", "send orders with POST"))
    if channel.body_format == "form":
        body = parse_form(req.body)
    elif view.get("body") is not None:
        body = view["body"]  # parsed for the ping rules already (the same parser)
    else:
        body = parse_json(req.body)
    order = get_path(body, channel.root)
    if order is MISSING or not isinstance(order, dict):
        where = show_path(channel.root)
        raise ValidationFailed(Text(f"请求体中 {where} 处应为订单对象",
                                    f"the body must hold an order object at {where}"),
                               errors={where: [Text("缺少订单", "missing order")]})
    return _process(ctx, conn, req, body, order)


def _skipped(reason: str, delivery: int) -> dict[str, Any]:
    return {"status": "ignored", "delivery": delivery, "reason": reason}


def _dedup_key(channel: Channel, req: Request, body: Any, order: Any) -> str:
    if channel.dedup_key is None:
        return "sha256:" + hashlib.sha256(req.body).hexdigest()
    value = channel.dedup_key({"body": body, "order": order, "headers": req.headers, "query": req.query})
    if value is None or value == "" or isinstance(value, dict | list):
        raise ValidationFailed(Text("无法从请求中得到去重键（渠道的 dedup_key 规则结果为空）",
                                    "the delivery has no de-duplication key (the channel's dedup_key rule gave "
                                    "nothing)"), errors={"dedup_key": [Text("为空", "empty")]})
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _process(ctx: _Ctx, conn: sa.Connection, req: Request, body: Any, order: dict[str, Any]) -> Answer:
    """The delivery claims its key, the order is placed, the outcome stored."""
    channel = ctx.channel
    view = {"order": order, "headers": req.headers}
    for skip in channel.skip:
        if truthy(skip.when(view)):
            return _ignored(ctx, conn, partial(_skipped, skip.reason.get(ctx.lang)), 200,
                            {"skip": skip.id, "reason": skip.reason.as_dict()})
    key = _dedup_key(channel, req, body, order)
    claim = store.claim_value(channel.key, key)
    if ctx.delivery is None:
        delivery = store.insert(conn, ctx.raw, verified=ctx.verified, claim=claim, dedup_key=key)
        first = store.holder(conn, claim) if delivery is None else None
    else:
        delivery, first = ctx.delivery, store.take_claim(conn, ctx.delivery, claim, key)
    if first is not None:
        return _duplicate(ctx, conn, delivery, first, key)
    assert delivery is not None
    placed = place_order(channel, ctx.snapshot, ctx.records, conn, order, req.headers, req.received_at)
    status = 202 if placed.status == "held" else 200
    answer: dict[str, Any] = {"status": placed.status, "delivery": delivery}
    outcome = placed.outcome()
    if placed.order:
        answer["order"] = outcome["order"]
    if placed.action != "created" and placed.action != "none":
        answer["action"] = placed.action
    for name, items in (("holds", placed.holds), ("warnings", placed.warnings)):
        if items:
            answer[name] = [{"code": h.code, "path": h.path, "message": h.text.get(ctx.lang)} for h in items]
    store.finish(conn, delivery, placed.status, http_status=status, response=answer, outcome=outcome,
                 verified=ctx.verified)
    return Answer(status, answer, delivery)


def _duplicate(ctx: _Ctx, conn: Any, delivery: int | None, first_id: int, key: str) -> Answer:
    """The same order again: the first delivery's answer, and this copy kept as a duplicate."""
    first = store.get(ctx.db, first_id, conn)
    assert first is not None
    if delivery is None:
        delivery = store.insert(conn, ctx.raw, verified=ctx.verified, dedup_key=key)
        assert delivery is not None
    store.finish(conn, delivery, "duplicate", http_status=first["http_status"], response=first["response"],
                 outcome={"duplicate_of": first_id, "dedup_key": key}, duplicate_of=first_id, verified=ctx.verified,
                 release_claim=True)
    return Answer(first["http_status"], first["response"], delivery, duplicate_of=first_id)


def _problem_for(exc: SunmaoError, lang: str, delivery: int) -> dict[str, Any]:
    exc.extra["delivery"] = delivery
    return exc.problem(lang)


def _run(ctx: _Ctx, req: Request) -> Answer:
    """Handle a delivery; when that fails, its writes are rolled back and it is kept on its own."""
    try:
        return _handle(ctx, req)
    except SunmaoError as exc:
        english = exc.problem("en")
        problem = partial(_problem_for, exc, ctx.lang)
        store.keep(ctx.db, ctx.raw, ctx.delivery, "rejected", verified=ctx.verified, answer=problem,
                   http_status=exc.status, outcome={"problem": english},
                   error=english.get("detail") or english["title"])
        raise
    except Exception as exc:
        # An engine fault or the database's state (a full disk, a cut connection: 503), not the sender's:
        # the delivery stays `received` with the error, to replay (when there is room to keep it).
        status = 503 if unavailable(exc) else 500
        store.keep(ctx.db, ctx.raw, ctx.delivery, "received", verified=ctx.verified, answer=None,
                   http_status=status, error=f"{type(exc).__name__}: {exc}"[:2000])
        raise


def receive(db: Database, snapshot: Snapshot, key: str, req: Request, *, records: RecordService | None = None,
            lang: str = "zh", secrets: SecretStore | None = None) -> Answer:
    """Handle one webhook request for channel ``key``; raise a SunmaoError (a 4xx) to reject it."""
    channel = get_channel(snapshot, key, mode="push")
    headers, query = redact(channel.auth, req.headers, req.query)
    raw = store.RawDelivery(channel.key, "push", req.method, headers, query, req.body, req.truncated,
                            req.size or len(req.body), req.received_at)
    return _run(_Ctx(channel, snapshot, records or RecordService(db, snapshot), secrets or secret_store(db), raw,
                     lang), req)


def ingest(db: Database, snapshot: Snapshot, channel: Channel, item: Any, *, headers: dict[str, str] | None = None,
           records: RecordService | None = None, received_at: datetime | None = None) -> Answer:
    """Feed one order fetched by a pull channel through the same path (fetched by us with a signed
    request: verified)."""
    body = json.dumps(item, ensure_ascii=False, default=str, separators=(",", ":")).encode()
    req = Request("PULL", dict(headers or {}), {}, body, size=len(body), received_at=received_at or datetime.now(UTC))
    raw = store.RawDelivery(channel.key, "pull", "PULL", req.headers, {}, body, False, len(body), req.received_at)
    ctx = _Ctx(channel, snapshot, records or RecordService(db, snapshot), secret_store(db), raw, "en", verified=True)
    return _run(ctx, req)


def replay(db: Database, snapshot: Snapshot, delivery_id: int, *, lang: str = "en",
           secrets: SecretStore | None = None) -> Answer:
    """Process a stored delivery again with the current metadata (after a mapping or secret fix).

    Timestamps are judged against the time the delivery was received; a delivery that was
    verified then is not verified again. Processed and duplicate deliveries are refused:
    replaying them would create the order twice.
    """
    row = store.get(db, delivery_id)
    if row is None:
        raise NotFound(Text(f"接收记录 #{delivery_id} 不存在", f"delivery #{delivery_id} does not exist"))
    if row["status"] not in REPLAYABLE:
        made = ((row.get("outcome") or {}).get("order") or {}).get("name")
        zh_made, en_made = (f"（{made}）", f" ({made})") if made else ("", "")
        raise NotReplayable(Text(f"接收记录 #{delivery_id} 状态为 {row['status']}{zh_made}，重放会重复建单",
                                 f"delivery #{delivery_id} is {row['status']}{en_made}; replaying it would create "
                                 "the record twice"))
    if row["truncated"]:
        raise PayloadTooLarge(Text("该请求体过大，只保存了开头部分，无法重放",
                                   "only the start of this oversized body was kept; it cannot be replayed"))
    channel = get_channel(snapshot, row["channel"])
    store.start_attempt(db, delivery_id)
    req = Request(row["method"], dict(row["headers"]), dict(row["query"]), bytes(row["body"]), size=row["size"],
                  received_at=row["received_at"])
    raw = store.RawDelivery(row["channel"], row["source"], row["method"], req.headers, req.query, req.body, False,
                            row["size"], row["received_at"])
    ctx = _Ctx(channel, snapshot, RecordService(db, snapshot), secrets or secret_store(db), raw, lang,
               delivery=delivery_id, verified=bool(row["verified"]) or row["source"] == "pull")
    return _run(ctx, req)
