"""Who sent this delivery: HMAC signatures, bearer tokens and Standard Webhooks.

Every mode is configured in the channel document; secrets are looked up by name in the
secret store, and every comparison is ``hmac.compare_digest``. Several secret values may be
accepted at once (rotation): a delivery passes if any of them verifies it.

Timestamps are checked against ``now``; a replay passes the time the delivery was received,
so a delivery rejected because a secret was wrong can be replayed once the secret is fixed,
while its signature still has to be right.

Bearer tokens are secrets too: the stored copy of a delivery keeps only their SHA-256
(``redact``), which is enough to verify them again on replay; other credentials a sender happens
to send along (cookies, API keys) are not kept at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sunmao.i18n import Text

from .errors import BadSignature, ChannelNotReady, StaleTimestamp
from .model import Auth, TimestampCheck
from .secrets import SecretStore, accepted_values

REDACTED = "sha256:"
REMOVED = "[redacted]"
#: Names of headers and query parameters that carry credentials.
CREDENTIAL = re.compile(r"auth|cookie|api[-_]?key|token|secret|passw|session|signature|credential", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(body|timestamp|header:[A-Za-z0-9_-]+)\}")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return headers.get(name.lower())


def _token(auth: Auth, headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The bearer token of a request (or its stored hash), from the header or the query."""
    value = _header(headers, auth.header)
    if value is not None:
        if value.startswith(REDACTED) or not auth.scheme:
            return value.strip()
        scheme, _, rest = value.partition(" ")
        if scheme.lower() == auth.scheme.lower() and rest.strip():
            return rest.strip()
    if auth.query and query.get(auth.query):
        return query[auth.query]
    return None


def _hashed(token: str) -> str:
    return REDACTED + hashlib.sha256(token.encode()).hexdigest()


def verification_headers(auth: Auth) -> frozenset[str]:
    """The headers verifying a delivery reads (lower-case): a replay of a delivery that was not
    verified when received (its secret was not set yet) verifies it again from the stored copy."""
    if auth.type == "hmac":
        names = {auth.header, *(name.split(":", 1)[1] for name in _PLACEHOLDER.findall(auth.message)
                                if name.startswith("header:"))}
        if auth.timestamp is not None:
            names.add(auth.timestamp.header)
    elif auth.type == "standard_webhooks":
        names = {"webhook-id", "webhook-timestamp", "webhook-signature"}
    elif auth.type == "bearer":
        names = {auth.header}
    else:
        names = set()
    return frozenset(n.lower() for n in names if n)


def redact(auth: Auth, headers: dict[str, str], query: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Copies of headers and query fit to store. A bearer token becomes its SHA-256 (enough to verify
    it again on replay); signatures, their timestamps and the headers they sign stay as sent (a
    signature proves one body only, and replay must check it); every other header or parameter
    whose name suggests a credential (cookies, API keys, sessions, passwords) is removed."""
    headers, query = dict(headers), dict(query)
    if auth.type == "bearer":
        token = _token(auth, headers, query)
        name = auth.header.lower()
        if name in headers:
            headers[name] = _hashed(token) if token and not token.startswith(REDACTED) else _hashed(headers[name])
        if auth.query and auth.query in query:
            query[auth.query] = _hashed(query[auth.query])
    needed = verification_headers(auth)
    for name in headers:
        if name not in needed and CREDENTIAL.search(name):
            headers[name] = REMOVED
    for name in query:
        if name != auth.query and CREDENTIAL.search(name):
            query[name] = REMOVED
    return headers, query


def _secrets(auth: Auth, store: SecretStore) -> list[str]:
    values = accepted_values(store, list(auth.secrets))
    if not values:
        names = ", ".join(auth.secrets)
        raise ChannelNotReady(Text(f"渠道密钥 {names} 尚未设置：请运行 sunmao secret set {auth.secrets[0]}；"
                                   "本次请求已保存，设置后可重放",
                                   f"the channel secret {names} is not set: run `sunmao secret set "
                                   f"{auth.secrets[0]}`; this delivery was kept and can be replayed"))
    return values


def _parse_time(value: str, fmt: str) -> datetime:
    try:
        if fmt == "iso":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if fmt == "unix_ms" else number, UTC)
    except (ValueError, OverflowError, OSError):
        raise StaleTimestamp(Text(f"时间戳 {value[:40]!r} 无法识别", f"the timestamp {value[:40]!r} cannot be read"),
                             ) from None


def check_timestamp(value: str | None, header: str, fmt: str, tolerance: int, now: datetime) -> None:
    if not value:
        raise StaleTimestamp(Text(f"缺少时间戳请求头 {header}", f"the timestamp header {header} is missing"))
    moment = _parse_time(value.strip(), fmt)
    drift = abs((now - moment).total_seconds())
    if drift > tolerance:
        raise StaleTimestamp(Text(
            f"时间戳 {value.strip()} 与服务器时间相差 {drift:.0f} 秒，超过允许的 {tolerance} 秒"
            "（重发的旧请求或时钟不准）",
            f"the timestamp {value.strip()} is {drift:.0f} s away from the server time; at most {tolerance} s is "
            "accepted (an old request sent again, or a wrong clock)"))


def _message(template: str, body: bytes, headers: Mapping[str, str], ts: TimestampCheck | None) -> bytes:
    out = b""
    pos = 0
    for m in _PLACEHOLDER.finditer(template):
        out += template[pos:m.start()].encode()
        name = m.group(1)
        if name == "body":
            out += body
        elif name == "timestamp":
            out += ((_header(headers, ts.header) or "") if ts else "").encode()
        else:
            value = _header(headers, name.split(":", 1)[1])
            if value is None:
                raise BadSignature(Text(f"签名所需的请求头 {name.split(':', 1)[1]} 缺失",
                                        f"the header {name.split(':', 1)[1]} that the signature covers is missing"))
            out += value.encode()
        pos = m.end()
    return out + template[pos:].encode()


def _candidates(value: str, prefix: str) -> list[str]:
    out = []
    for part in re.split(r"[,\s]+", value.strip()):
        if prefix and part[: len(prefix)].lower() == prefix.lower():
            part = part[len(prefix):]
        elif prefix:
            continue
        if part:
            out.append(part)
    return out


def _verify_hmac(auth: Auth, store: SecretStore, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    if auth.timestamp is not None:
        ts = auth.timestamp
        check_timestamp(_header(headers, ts.header), ts.header, ts.format, ts.tolerance, now)
    given = _header(headers, auth.header)
    if not given:
        raise BadSignature(Text(f"缺少签名请求头 {auth.header}", f"the signature header {auth.header} is missing"))
    candidates = _candidates(given, auth.prefix)
    if not candidates:
        raise BadSignature(Text(f"签名请求头 {auth.header} 应以 {auth.prefix!r} 开头",
                                f"the signature header {auth.header} must start with {auth.prefix!r}"))
    message = _message(auth.message, body, headers, auth.timestamp)
    digest = hashlib.sha1 if auth.algorithm == "sha1" else hashlib.sha256
    for secret in _secrets(auth, store):
        mac = hmac.new(secret.encode(), message, digest).digest()
        expected = mac.hex() if auth.encoding == "hex" else base64.b64encode(mac).decode()
        for candidate in candidates:
            if auth.encoding == "hex":
                candidate = candidate.lower()
            if hmac.compare_digest(candidate.encode(), expected.encode()):
                return
    raise BadSignature(Text(
        f"请求头 {auth.header} 中的签名与请求体不符（HMAC-{auth.algorithm.upper()}，{auth.encoding}）",
        f"the signature in {auth.header} does not match the body (HMAC-{auth.algorithm.upper()}, {auth.encoding})"))


def _verify_bearer(auth: Auth, store: SecretStore, headers: Mapping[str, str], query: Mapping[str, str]) -> None:
    token = _token(auth, headers, query)
    if not token:
        where = f"{auth.header}: {auth.scheme} <token>" if auth.scheme else f"{auth.header}: <token>"
        raise BadSignature(Text(f"缺少令牌：请在请求头 {where} 中提供", f"no token: send it as {where}"))
    for secret in _secrets(auth, store):
        expected = _hashed(secret) if token.startswith(REDACTED) else secret
        if hmac.compare_digest(token.encode(), expected.encode()):
            return
    raise BadSignature(Text("令牌不正确", "the token is not valid"))


def _webhook_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[6:], validate=True)
        except (binascii.Error, ValueError):
            raise ChannelNotReady(Text("Standard Webhooks 密钥应为 whsec_ 加 base64",
                                       "a Standard Webhooks secret is whsec_ followed by base64")) from None
    return secret.encode()


def _verify_standard(auth: Auth, store: SecretStore, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    msg_id = _header(headers, "webhook-id")
    if not msg_id:
        raise BadSignature(Text("缺少请求头 webhook-id", "the webhook-id header is missing"))
    timestamp = _header(headers, "webhook-timestamp")
    check_timestamp(timestamp, "webhook-timestamp", "unix", auth.tolerance, now)
    signatures = _header(headers, "webhook-signature")
    if not signatures:
        raise BadSignature(Text("缺少请求头 webhook-signature", "the webhook-signature header is missing"))
    given = [part.split(",", 1)[1] for part in signatures.split() if part.startswith("v1,")]
    if not given:
        raise BadSignature(Text("webhook-signature 中没有 v1 签名", "webhook-signature holds no v1 signature"))
    message = f"{msg_id}.{(timestamp or '').strip()}.".encode() + body
    for secret in _secrets(auth, store):
        expected = base64.b64encode(hmac.new(_webhook_key(secret), message, hashlib.sha256).digest())
        if any(hmac.compare_digest(sig.encode(), expected) for sig in given):
            return
    raise BadSignature(Text("webhook-signature 中的签名与请求体不符",
                            "no signature in webhook-signature matches the body"))


def verify(auth: Auth, store: SecretStore, headers: Mapping[str, str], query: Mapping[str, str], body: bytes,
           now: datetime) -> None:
    """Raise BadSignature, StaleTimestamp or ChannelNotReady unless the delivery is authentic.

    ``headers`` have lower-case names. ``now`` is the time of receipt.
    """
    if auth.type == "none":
        return
    if auth.type == "hmac":
        _verify_hmac(auth, store, headers, body, now)
    elif auth.type == "bearer":
        _verify_bearer(auth, store, headers, query)
    elif auth.type == "standard_webhooks":
        _verify_standard(auth, store, headers, body, now)
    else:  # the meta-schema allows no other
        raise ChannelNotReady(Text(f"未知的认证方式 {auth.type}", f"unknown authentication type {auth.type}"))
