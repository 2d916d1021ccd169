"""Compile channel documents into :class:`~.model.Channel` values, or say precisely what is wrong.

``compile_channels`` is the channels feature's compiler (``hooks/inbound/feature.py``). The
meta-schema has already checked the document's shape; this module checks what only the
snapshot knows — that every target field exists and accepts input, that lookups name real
fields, that every JSONLogic rule compiles, that every path parses, that the entity's
required fields are all mapped — and names the file and JSON path of each problem, so a
mapping mistake refuses the publish instead of bouncing orders later.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sunmao import clock
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity, Field
from sunmao.records import Actor
from sunmao.rules import RuleError
from sunmao.snapshot import Snapshot

from .clean import CLEANERS
from .model import (
    Auth,
    Channel,
    CustomerMap,
    Duplicates,
    HoldTarget,
    LinesMap,
    Lookup,
    MatchRule,
    Merge,
    Ping,
    Pull,
    Rule,
    Skip,
    Source,
    Target,
    TimestampCheck,
    UnitRule,
    Units,
)
from .paths import MISSING, PathError, parse_path

FEATURE = "channels"
DEFAULT_ZONE = clock.TIME_ZONE


class _Builder:
    """Compiles one document, collecting problems instead of stopping at the first."""

    def __init__(self, snapshot: Snapshot, file: str, doc: dict[str, Any]):
        self.snapshot = snapshot
        self.file = file
        self.doc = doc
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def rule(self, expr: Any, where: str) -> Rule:
        try:
            return self.snapshot.rules.compile(expr, name=f"{self.doc['key']}{where[1:]}")
        except RuleError as exc:
            self.bad(where, f"JSONLogic: {exc.message_en}")
            return lambda _data: None

    def path(self, text: str, where: str) -> tuple:
        try:
            return parse_path(text)
        except PathError as exc:
            self.bad(where, str(exc))
            return ()

    def zone(self, name: str, where: str) -> ZoneInfo:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.bad(where, f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai or America/New_York")
            return ZoneInfo(DEFAULT_ZONE)

    def entity(self, key: str, where: str, *, child: bool | None = False) -> Entity | None:
        entity = self.snapshot.entities.get(key)
        if entity is None:
            known = ", ".join(sorted(e.key for e in self.snapshot.entities.values() if not e.child))
            self.bad(where, f"there is no entity {key!r}; known: {known}")
            return None
        if child is False and entity.child:
            self.bad(where, f"{key!r} is a child entity; map it through `lines`")
            return None
        return entity

    def field(self, entity: Entity, key: str, where: str, *, types: tuple[str, ...] | None = None,
              writable: bool = True) -> Field | None:
        f = entity.by_key.get(key)
        if f is None:
            known = ", ".join(x.key for x in entity.fields if x.is_input)
            self.bad(where, f"{entity.key} has no field {key!r}; known fields: {known}")
            return None
        if writable and not f.is_input:
            self.bad(where, f"{entity.key}.{key} is computed or read-only and cannot be mapped")
            return None
        if types is not None and f.value_type not in types:
            self.bad(where, f"{entity.key}.{key} is a {f.value_type} field; expected {' or '.join(types)}")
            return None
        return f

    # -- sources and field maps ------------------------------------------------------------

    def source(self, spec: Any, where: str) -> Source:
        if isinstance(spec, str):
            return Source(where=where, path=self.path(spec, where), path_text=spec)
        path = self.path(spec["from"], f"{where}.from") if "from" in spec else None
        lookup = None
        if "lookup" in spec:
            lk = spec["lookup"]
            target = self.entity(lk["entity"], f"{where}.lookup.entity")
            if target is not None:
                self.field(target, lk["by"], f"{where}.lookup.by", writable=False)
            lookup = Lookup(lk["entity"], lk["by"], lk.get("if_missing", "hold"))
        if path is None and "value" not in spec and "rule" not in spec:
            self.bad(where, "say where the value comes from: `from` (a path), `value` (a constant) or `rule`")
        return Source(
            where=where, path=path, path_text=spec.get("from"), constant=spec.get("value", MISSING),
            rule=self.rule(spec["rule"], f"{where}.rule") if "rule" in spec else None,
            clean=tuple(CLEANERS[name] for name in spec.get("clean", ())),
            mapping=spec.get("map"), default=spec.get("default", MISSING), required=bool(spec.get("required")),
            factor=Decimal(str(spec["factor"])) if "factor" in spec else None,
            time_zone=self.zone(spec["time_zone"], f"{where}.time_zone") if "time_zone" in spec else None,
            lookup=lookup,
        )

    def targets(self, entity: Entity, mapping: dict[str, Any], where: str, *, implied: tuple[str, ...] = ()
                ) -> tuple[Target, ...]:
        out = []
        for key, spec in mapping.items():
            f = self.field(entity, key, f"{where}.{key}")
            if f is None:
                continue
            if f.type == "table":
                self.bad(f"{where}.{key}", f"{entity.key}.{key} holds rows; map it with `lines`")
                continue
            source = self.source(spec, f"{where}.{key}")
            if f.type == "link" and source.lookup is not None and source.lookup.entity != f.to:
                self.bad(f"{where}.{key}.lookup.entity", f"{entity.key}.{key} links to {f.to!r}, "
                                                         f"not {source.lookup.entity!r}")
            out.append(Target(f, source))
        mapped = set(mapping) | set(implied)
        for f in entity.fields:
            if f.required and f.is_input and f.type not in ("boolean", "table") and f.default is None \
                    and f.key not in mapped:
                self.bad(where, f"{entity.key}.{f.key} is required and has no default: map it")
        return tuple(out)

    # -- sections --------------------------------------------------------------------------

    def auth(self) -> Auth:
        spec = self.doc.get("auth") or {"type": "none"}
        ts = spec.get("timestamp")
        return Auth(
            type=spec["type"], secrets=tuple(spec.get("secrets", ())), algorithm=spec.get("algorithm", "sha256"),
            encoding=spec.get("encoding", "hex"), header=spec.get("header", "Authorization"),
            prefix=spec.get("prefix", ""), message=spec.get("message", "{body}"),
            timestamp=TimestampCheck(ts["header"], ts.get("format", "unix"), ts.get("tolerance_seconds", 300))
            if ts else None,
            scheme=spec.get("scheme", "Bearer"), query=spec.get("query"),
            tolerance=spec.get("tolerance_seconds", 300),
        )

    def check_message(self, auth: Auth) -> None:
        if auth.type != "hmac":
            return
        text = auth.message.replace("{body}", "").replace("{timestamp}", "")
        text = re.sub(r"\{header:[A-Za-z0-9_-]+\}", "", text)
        if "{" in text or "}" in text:
            self.bad("$.auth.message", "unknown placeholder; use {body}, {timestamp} or {header:Header-Name}")
        if "{timestamp}" in auth.message and auth.timestamp is None:
            self.bad("$.auth.message", "{timestamp} needs `auth.timestamp` to say which header carries it")

    def pings(self) -> tuple[Ping, ...]:
        out = []
        for i, p in enumerate(self.doc.get("pings", ())):
            where = f"$.pings[{i}]"
            respond = p["respond"]
            out.append(Ping(
                id=p["id"], when=self.rule(p["when"], f"{where}.when"), signed=p.get("signed", False),
                status=respond.get("status", 200),
                text=self.rule(respond["text"], f"{where}.respond.text") if "text" in respond else None,
                json=tuple((k, self.rule(v, f"{where}.respond.json.{k}")) for k, v in respond.get("json", {}).items()),
            ))
        return tuple(out)

    def hold(self, entity: Entity) -> HoldTarget:
        t = self.doc["target"]
        hold = HoldTarget(t.get("status_field"), t.get("held_value", "held"), t.get("review_value", "review"),
                          t.get("reason_field"), t.get("duplicate_field"))
        if hold.status_field:
            f = self.field(entity, hold.status_field, "$.target.status_field", types=("select", "string"))
            if f is not None and f.options:
                for value, name in ((hold.held_value, "held_value"), (hold.review_value, "review_value")):
                    if value not in f.option_values:
                        self.bad(f"$.target.{name}", f"{value!r} is not an option of {entity.key}.{f.key}; "
                                                     f"options: {', '.join(f.option_values)}")
        if hold.reason_field:
            self.field(entity, hold.reason_field, "$.target.reason_field", types=("string", "text"))
        if hold.duplicate_field:
            f = self.field(entity, hold.duplicate_field, "$.target.duplicate_field", types=("link",))
            if f is not None and f.to != entity.key:
                self.bad("$.target.duplicate_field", f"{entity.key}.{f.key} must link to {entity.key}")
        return hold

    def lines(self, entity: Entity) -> LinesMap | None:
        spec = self.doc.get("lines")
        if spec is None:
            return None
        table = self.field(entity, spec["field"], "$.lines.field", types=("table",))
        child = self.snapshot.entities.get(table.of or "") if table else None
        if child is None:
            return None
        targets = self.targets(child, spec["fields"], "$.lines.fields")
        units = None
        if "units" in spec:
            u = spec["units"]
            for name in ("unit_field", "qty_field", "price_field"):
                if name in u:
                    self.field(child, u[name], f"$.lines.units.{name}")
            units = Units(u["unit_field"], u["qty_field"], u.get("price_field"),
                          {k: UnitRule(v["unit"], Decimal(str(v.get("factor", 1)))) for k, v in u["table"].items()})
        return LinesMap(spec["field"], child.key, self.path(spec["from"], "$.lines.from"), spec["from"], targets, units)

    def customer(self, entity: Entity) -> CustomerMap | None:
        spec = self.doc.get("customer")
        if spec is None:
            return None
        link = self.field(entity, spec["field"], "$.customer.field", types=("link",))
        target = self.entity(spec["entity"], "$.customer.entity")
        if link is None or target is None:
            return None
        if link.to != target.key:
            self.bad("$.customer.entity", f"{entity.key}.{link.key} links to {link.to!r}, not {target.key!r}")
        rules = []
        for i, m in enumerate(spec["match"]):
            if self.field(target, m["field"], f"$.customer.match[{i}].field", writable=False):
                key_field = m.get("key_field")
                if key_field is not None and not self.field(target, key_field, f"$.customer.match[{i}].key_field",
                                                            writable=False):
                    key_field = None
                rules.append(MatchRule(m["field"], m["as"], m.get("certain", True), key_field))
                if m["field"] not in spec["fields"]:
                    self.bad(f"$.customer.match[{i}].field", f"{m['field']!r} is matched on but not mapped in "
                                                             "`customer.fields`")
        for name, types in (("status_field", ("select", "string")), ("duplicate_field", ("link",))):
            if name in spec:
                self.field(target, spec[name], f"$.customer.{name}", types=types)
        return CustomerMap(spec["field"], target.key, self.targets(target, spec["fields"], "$.customer.fields"),
                           tuple(rules), spec.get("create", True), spec.get("status_field"),
                           spec.get("review_value", "review"), spec.get("duplicate_field"))

    def duplicates(self, lines: LinesMap | None) -> Duplicates | None:
        spec = self.doc.get("duplicates")
        if spec is None:
            return None
        compare: tuple[str, ...] = tuple(spec.get("compare", ()))
        if lines is None:
            self.bad("$.duplicates", "duplicate detection compares lines: map `lines` first")
        else:
            if not compare:  # by default: what the lines are (their links); the document may add quantities
                compare = tuple(t.field.key for t in lines.targets if t.field.type == "link")
            child = self.snapshot.entities[lines.entity]
            for i, key in enumerate(compare):
                self.field(child, key, f"$.duplicates.compare[{i}]", writable=False)
        return Duplicates(float(spec["window_hours"]), spec.get("other_channels_only", True), compare)

    def merge(self, entity: Entity) -> Merge | None:
        spec = self.doc.get("merge")
        if spec is None:
            return None
        self.field(entity, spec["field"], "$.merge.field", types=("string",))
        if self.doc.get("lines") is None:
            self.bad("$.merge", "merging a checkout adds lines: map `lines` first")
        return Merge(self.source(spec["batch"], "$.merge.batch"), spec["field"], float(spec.get("window_minutes", 30)))

    def pull(self) -> Pull | None:
        p = self.doc.get("pull")
        if p is None:
            return None
        if self.doc["mode"] != "pull":
            self.bad("$.pull", "`pull` only applies to channels with \"mode\": \"pull\"")
        if "cursor_param" in p and "cursor_from" not in p:
            self.bad("$.pull.cursor_from", "a cursor parameter needs `cursor_from`: the modification time of an order")
        return Pull(
            base_url=p["base_url"], method=p["method"], http_method=p.get("http_method", "POST"),
            app_key_secret=p["app_key_secret"], app_secret=p["app_secret"],
            access_token_secret=p.get("access_token_secret"), params=dict(p.get("params", {})),
            items=self.path(p["items"], "$.pull.items"),
            error=self.path(p["error"], "$.pull.error") if "error" in p else None,
            page_param=p.get("page_param", "page"), page_size_param=p.get("page_size_param", "page_size"),
            page_size=p.get("page_size", 50), first_page=p.get("first_page", 1), max_pages=p.get("max_pages", 200),
            cursor_param=p.get("cursor_param"),
            cursor_from=self.path(p["cursor_from"], "$.pull.cursor_from") if "cursor_from" in p else None,
            cursor_format=p.get("cursor_format", "iso"),
            initial_lookback_hours=float(p.get("initial_lookback_hours", 72)),
            timestamp_format=p.get("timestamp_format", "unix_ms"), timeout=float(p.get("timeout_seconds", 30)),
        )

    def build(self) -> Channel | None:
        doc = self.doc
        entity = self.entity(doc["target"]["entity"], "$.target.entity")
        if entity is None:
            return None
        t = doc["target"]
        if "external_id" in t:
            self.field(entity, t["external_id"], "$.target.external_id", types=("string",))
        if "channel_field" in t:
            self.field(entity, t["channel_field"], "$.target.channel_field", types=("link",))
        lines = self.lines(entity)
        customer = self.customer(entity)
        implied = tuple(k for k in (lines.field if lines else None, customer.field if customer else None) if k)
        targets = self.targets(entity, doc["fields"], "$.fields", implied=implied)
        auth = self.auth()
        self.check_message(auth)
        actor_spec = doc.get("actor", {"roles": ["admin"]})
        return Channel(
            key=doc["key"], file=self.file, label=Text.of(doc["label"]), mode=doc["mode"],
            enabled=doc.get("enabled", True),
            actor=Actor(None, actor_spec.get("username", f"channel:{doc['key']}"), frozenset(actor_spec["roles"])),
            max_body_bytes=doc.get("max_body_bytes", 1024 * 1024),
            time_zone=self.zone(doc.get("time_zone", DEFAULT_ZONE), "$.time_zone"),
            auth=auth, entity=entity.key, targets=targets, pings=self.pings(),
            body_format=doc.get("body", {}).get("format", "json"),
            root=self.path(doc.get("body", {}).get("root", ""), "$.body.root"),
            skip=tuple(Skip(s["id"], self.rule(s["when"], f"$.skip[{i}].when"), Text.of(s["reason"]))
                       for i, s in enumerate(doc.get("skip", ()))),
            dedup_key=self.rule(doc["dedup_key"], "$.dedup_key") if "dedup_key" in doc else None,
            external_id=t.get("external_id"), channel_field=t.get("channel_field"), hold=self.hold(entity),
            lines=lines, customer=customer, duplicates=self.duplicates(lines), merge=self.merge(entity),
            pull=self.pull(),
        )


def compile_channels(snapshot: Snapshot) -> tuple[str, dict[str, Channel], list[Problem]]:
    """The feature compiler: every ``channel`` document of the snapshot, by key."""
    channels: dict[str, Channel] = {}
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for file, doc in snapshot.documents("channel"):
        if doc["key"] in seen:
            problems.append(Problem(file, "$.key", f"channel {doc['key']!r} is already defined in {seen[doc['key']]}"))
            continue
        seen[doc["key"]] = file
        builder = _Builder(snapshot, file, doc)
        channel = builder.build()
        problems += builder.problems
        if channel is not None and not builder.problems:
            channels[channel.key] = channel
    return FEATURE, channels, problems
