"""The notices feature: what events tell people (the bell); its page is one of the screens."""

from __future__ import annotations

from sunmao import notices
from sunmao.feature import Feature

FEATURE = Feature(
    name="notices",
    tables=(notices.notice,),
    jobs=(notices.on_event,),
)
