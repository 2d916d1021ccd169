"""The channel designer's page for a channel not made yet (``/designer/drafts/<id>/channels/new``).

Registered on the designer pages' blueprint (imported at the end of ``designer/pages.py``): the
same access rule and shell. The editor starts from an empty push channel; its first save adds the
document to the draft (and the manifest lists it by itself: publishing the draft enables it).
"""

from __future__ import annotations

from typing import Any

from sunmao.designer.flows import editor_extras
from sunmao.designer.pages import _page, _runtime, _setup, _workspace, blueprint
from sunmao.web.app import language


def _target(apps: Any) -> str | None:
    """The entity the draft's other channels feed, the one a new channel most likely feeds too."""
    for docs in apps.values():
        for doc in docs.values():
            if isinstance(doc, dict) and doc.get("kind") == "channel":
                return (doc.get("target") or {}).get("entity")
    return None


@blueprint.get("/designer/drafts/<int:draft_id>/channels/new")
def new_channel_page(draft_id: int) -> tuple[str, int]:
    ws = _workspace(draft_id)
    skeleton = {"kind": "channel", "key": "", "mode": "push", "label": {"zh": "", "en": ""},
                "auth": {"type": "hmac", "secrets": [], "algorithm": "sha256", "encoding": "base64",
                         "header": "X-Signature"},
                "target": {"entity": _target(ws["apps"]) or ""}, "fields": {}}
    title = "新建渠道" if language() == "zh" else "New channel"
    return _page("designer/channel.html", title, ws=ws, address=None, kind="channel", widgets=[],
                 setup=_setup(ws, None, document=skeleton, kind="channel", creating=True,
                              **editor_extras(_runtime(), "channel", skeleton)))
