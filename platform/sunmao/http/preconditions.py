"""``If-Match`` as RFC 9110 (section 13.1.1) has it, for the record versions the API sends as ETags.

A record's ETag is its version, strong: ``"3"``. ``If-Match`` holds ``*`` or a list of entity
tags; the condition holds when the record's current ETag is one of them by the *strong*
comparison, so a weak tag (``W/"3"``) never matches. A header that is no such list is refused
(400) rather than guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import request

from sunmao.errors import SunmaoError
from sunmao.i18n import Text

HEADER = "If-Match"
#: One entity-tag: an optional weak prefix, then etagc characters between quotes (%x21 / %x23-7E / obs-text).
ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')


def parse_if_match(value: str) -> frozenset[int] | None:
    """The versions an ``If-Match`` value admits (None for ``*``: any); weak or foreign tags admit none."""
    if value.strip() == "*":
        return None
    versions: set[int] = set()
    position, tags = 0, 0
    while position < len(value):
        if value[position] in ", \t":  # list separators; empty elements are allowed (RFC 9110 5.6.1)
            position += 1
            continue
        match = ENTITY_TAG.match(value, position)
        if match is None:
            raise SunmaoError(Text('If-Match 应为 * 或以逗号分隔的实体标签，如 "3", "4"',
                                   'If-Match must be * or a comma-separated list of entity tags, e.g. "3", "4"'),
                              errors={HEADER: [Text("格式不正确", "malformed")]})
        tags += 1
        weak, opaque = match.groups()
        if not weak and opaque.isascii() and opaque.isdigit() and len(opaque) <= 18:
            versions.add(int(opaque))
        position = match.end()
    if not tags:
        raise SunmaoError(Text("If-Match 为空", "If-Match is empty"), errors={HEADER: [Text("为空", "empty")]})
    return frozenset(versions)


def expected_version(current: Callable[[], int]) -> int | None:
    """The version a write must find (None: no condition). ``current`` reads the record's version;
    it is called only for a list of several tags: the write then holds to the one the record is at,
    or, when none is, to one it is not at - so the write, like one with a single stale tag, checks
    its data first (422) and then refuses the version (412)."""
    value = request.headers.get(HEADER)
    versions = parse_if_match(value) if value is not None else None
    if versions is None:
        return None
    if len(versions) == 1:
        return next(iter(versions))
    version = current()
    return version if version in versions else min(versions, default=0)
