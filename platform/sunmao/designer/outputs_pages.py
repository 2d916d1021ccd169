"""The print template editor's live PDF preview (``/designer/drafts/<id>/preview/print/<address>``).

Registered on the designer pages' blueprint (imported at the end of ``designer/pages.py``): the
same access rule (designer or admin) and error pages. The PDF is made by the code that prints
(``designer/outputs.print_preview``) from the draft's saved layout, for a record the person may read;
the editor shows it in an ``<iframe>`` and reloads it after every save.
"""

from __future__ import annotations

from flask import Response, g, request

from sunmao.designer.drafts import Drafts
from sunmao.designer.outputs import print_preview
from sunmao.designer.pages import _runtime, blueprint
from sunmao.web.app import language
from sunmao.web.files import disposition


@blueprint.get("/designer/drafts/<int:draft_id>/preview/print/<path:address>")
def preview_print(draft_id: int, address: str) -> Response:
    runtime = _runtime()
    apps = Drafts(runtime).documents(draft_id)
    pdf, filename = print_preview(runtime, apps, address, request.args.get("record"), g.user, language())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": disposition("inline", filename), "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store"})
