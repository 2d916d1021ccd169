"""Webhook documents compiled into the snapshot (feature ``webhooks``).

Conditions and templates are compiled once per published version, so a broken rule refuses
the publish with a problem naming the file and path, instead of failing on every event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sunmao.hooks.outbound.template import Render, compile_template, compile_text
from sunmao.i18n import Text
from sunmao.jobs.outbox import Event, topic_matches
from sunmao.meta.errors import Problem
from sunmao.rules import RuleError

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

HTTP, WECOM, DINGTALK = "http", "wecom", "dingtalk"
ROBOTS = (WECOM, DINGTALK)
#: The robots' limits on one message, in UTF-8 bytes (longer content is cut with an ellipsis).
CONTENT_LIMITS = {(WECOM, "text"): 2048, (WECOM, "markdown"): 4096, (DINGTALK, "text"): 20000,
                  (DINGTALK, "markdown"): 20000}
DEFAULT_RETRY = {"max_attempts": 8, "backoff_seconds": 30.0, "max_backoff_seconds": 21600.0}


@dataclass(frozen=True)
class Webhook:
    key: str
    file: str
    label: Text
    events: tuple[str, ...]
    enabled: bool
    condition: Callable[[Any], Any] | None
    target_type: str
    #: What a delivery row stores about the target: URL and secret *names*, retry settings.
    target: Mapping[str, Any]
    render_body: Callable[[Event], str]

    def wants(self, topic: str) -> bool:
        return self.enabled and any(topic_matches(p, topic) for p in self.events)

    @property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(self.target[k] for k in ("secret", "token_secret") if self.target.get(k))

    @property
    def max_attempts(self) -> int:
        return int(self.target["retry"]["max_attempts"])


def dump_body(body: Any) -> str:
    """The exact text that is sent (and signed): compact JSON, UTF-8, no escaping of Chinese."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def truncate_utf8(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def _http_body(payload: Render | None) -> Callable[[Event], str]:
    def render(event: Event) -> str:
        if payload is None:
            body: Any = {"type": event.topic, "timestamp": event.created_at.isoformat(), "data": dict(event.payload)}
        else:
            body = payload(event.data())
        return dump_body(body)

    return render


def _robot_body(kind: str, message: Mapping[str, Any], label: Text) -> Callable[[Event], str]:
    msgtype = message["msgtype"]
    content = compile_text(message["content"])
    mentions = [compile_text(m) for m in message.get("mention_mobiles", ())]
    title = compile_text(message.get("title") or label.zh)
    limit = CONTENT_LIMITS[(kind, msgtype)]

    def render(event: Event) -> str:
        # {{ public_url }}: where people open the system (SUNMAO_PUBLIC_URL), for links in messages
        public = (os.environ.get("SUNMAO_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
        data = {**event.data(), "public_url": public}
        text = truncate_utf8(content(data), limit)
        mobiles = [m for m in (mention(data).strip() for mention in mentions) if m]
        if kind == WECOM:
            if msgtype == "text":
                body: dict[str, Any] = {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
            else:
                body = {"msgtype": "markdown", "markdown": {"content": text}}
        elif msgtype == "text":
            body = {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": mobiles, "isAtAll": False}}
        else:
            body = {"msgtype": "markdown", "markdown": {"title": title(data), "text": text},
                    "at": {"atMobiles": mobiles, "isAtAll": False}}
        return dump_body(body)

    return render


def compile_webhooks(snapshot: Snapshot) -> tuple[str, tuple[Webhook, ...], list[Problem]]:
    """The feature compiler of ``webhook`` documents (listed in ``features.FEATURES``)."""
    problems: list[Problem] = []
    hooks: list[Webhook] = []
    seen: dict[str, str] = {}
    for file, doc in snapshot.documents("webhook"):
        key = doc["key"]
        if key in seen:
            problems.append(Problem(file, "$.key", f"webhook key {key!r} is also used by {seen[key]}; "
                                                   "keys must be unique"))
            continue
        seen[key] = file
        label = Text.of(doc["label"])
        condition = None
        if "condition" in doc:
            try:
                condition = snapshot.rules.compile(doc["condition"], name=f"webhook.{key}.condition")
            except RuleError as exc:
                problems.append(Problem(file, "$.condition", f"the condition is not a valid rule: {exc}"))
        spec = doc["target"]
        kind = spec["type"]
        try:
            if kind == HTTP:
                payload = compile_template(doc["payload"], snapshot.rules, f"webhook.{key}.payload") \
                    if "payload" in doc else None
                render_body = _http_body(payload)
            else:
                render_body = _robot_body(kind, doc["message"], label)
        except RuleError as exc:
            problems.append(Problem(file, "$.payload", f"a $logic value is not a valid rule: {exc}"))
            continue
        target = {k: v for k, v in spec.items() if k != "type"}
        target["retry"] = {**DEFAULT_RETRY, **doc.get("retry", {})}
        hooks.append(Webhook(key=key, file=file, label=label, events=tuple(doc["events"]),
                             enabled=doc.get("enabled", True), condition=condition, target_type=kind,
                             target=target, render_body=render_body))
    return "webhooks", tuple(hooks), problems
