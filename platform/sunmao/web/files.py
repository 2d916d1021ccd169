"""Serving stored files (uploaded attachments, shipping labels) so that none runs in our origin.

A stored file's content type is whatever its uploader said: an "attachment" may be an HTML page
or an SVG with scripts, which a browser served it inline would run with the user's session. So
every stored file is a download (``Content-Disposition: attachment``), with ``nosniff`` and a
sandboxing Content-Security-Policy; only raster images of an allow-list (PNG, JPEG, GIF, WebP —
not SVG), whose first bytes are what their type says, are shown inline.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from flask import Response, send_file

#: Raster images a browser may show inline, by the bytes their files start with.
INLINE_IMAGES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # then four bytes of size and "WEBP", checked below
}
SANDBOX = "sandbox; default-src 'none'"
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def media_type(declared: str | None) -> str:
    """A declared content type if it is one (``type/subtype``), else ``application/octet-stream``."""
    value = (declared or "").split(";")[0].strip().lower()
    return value if _MEDIA_TYPE.fullmatch(value) else "application/octet-stream"


def shows_inline(content_type: str, head: bytes) -> bool:
    """Whether a file is an allowed image and its first bytes agree with its type."""
    magic = INLINE_IMAGES.get(content_type)
    if magic is None or not head.startswith(magic):
        return False
    return content_type != "image/webp" or head[8:12] == b"WEBP"


def file_name(name: str | None) -> str:
    """An uploaded file's name as kept: its last path part, without control characters or lone
    surrogates, at most 255 characters."""
    name = _CONTROL.sub("", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = name.encode("utf-8", "replace").decode("utf-8").strip()
    return name[:255] or "file"


def disposition(kind: str, name: str) -> str:
    """``Content-Disposition`` with a file name any browser reads (RFC 6266): an ASCII ``filename``
    and, for other names (图纸.pdf), the exact one as ``filename*`` in UTF-8 (RFC 5987)."""
    name = file_name(name)
    fallback = "".join(c if " " <= c <= "~" and c != '"' else "_" for c in name)
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe="!#$&+-.^_`|~")
    return value


def send_stored(path: Path, name: str, declared_type: str | None) -> Response:
    """The stored file at ``path``, named ``name``: a download unless it is an allowed image."""
    content_type = media_type(declared_type)
    with path.open("rb") as fh:
        head = fh.read(16)
    inline = shows_inline(content_type, head)
    response = send_file(path, mimetype=content_type, conditional=True)
    response.headers["Content-Disposition"] = disposition("inline" if inline else "attachment", name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    return response
