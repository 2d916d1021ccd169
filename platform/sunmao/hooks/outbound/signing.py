"""Signatures of outbound requests: Standard Webhooks for HTTP, DingTalk's robot signature.

Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` is the event id and stays
the same on every retry, so receivers can de-duplicate; ``webhook-timestamp`` is the attempt
time in Unix seconds, so receivers can refuse replays of old requests; ``webhook-signature``
is ``v1,`` + base64(HMAC-SHA256(secret, "id.timestamp.body")). A ``whsec_`` secret is base64;
any other string is used as its UTF-8 bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

WHSEC = "whsec_"


def webhook_secret_bytes(secret: str) -> bytes:
    if secret.startswith(WHSEC):
        encoded = secret[len(WHSEC):]
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    return secret.encode()


def standard_webhook_signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(webhook_secret_bytes(secret), f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_webhook_headers(secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_webhook_signature(secret, msg_id, timestamp, body),
    }


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")); URL-encode it in the query."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
