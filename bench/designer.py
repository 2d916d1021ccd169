"""How long the designer's check and publish take on the demo data (``sunmao demo``: ~5,000 orders).

On a fresh database (SQLite file by default, or ``--url`` for PostgreSQL) with the order app and its
demo data, each change below is made in a draft, checked (meta-schemas, static checks, snapshot
compile and the dry-run migration plan, with every stored value converted in memory where a type
changes), then published (the migration, the revision, the version switch, recomputed formulas).
Prints the seconds of each check and publish, and the plan's first line.

1. add a select field to orders (a column added);
2. rename an order field (a column renamed, references rewritten in five documents);
3. change an order text field to a date where rows hold words (refused at check, rows listed);
4. change a choice field to text on every order (each value converted, the column replaced);
5. archive a field, then roll back (a column archived, then restored with its data).

Run: ``.venv/bin/python bench/designer.py [--url postgresql+psycopg://...]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

import sqlalchemy as sa  # noqa: E402

from sunmao.cli import seed_demo  # noqa: E402
from sunmao.designer import packages  # noqa: E402
from sunmao.designer.audit import Designer  # noqa: E402
from sunmao.designer.checks import check_documents  # noqa: E402
from sunmao.designer.drafts import Drafts  # noqa: E402
from sunmao.designer.operations import rename_field  # noqa: E402
from sunmao.designer.publishing import publish_draft, rollback_draft  # noqa: E402
from sunmao.i18n import Text  # noqa: E402
from sunmao.resources import app_path  # noqa: E402
from sunmao.runtime import Runtime  # noqa: E402

ORDER = "order_management/entities/order.json"
WHO = Designer("bench")


def timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def run(runtime: Runtime, label: str, change: Any) -> None:
    drafts = Drafts(runtime)
    d = drafts.create(WHO, title=label)
    change(drafts, d.id)
    info = drafts.info(d.id)
    report, check_s = timed(lambda: check_documents(runtime, drafts.documents(d.id), info.base_version))
    first = (report.steps[0].text.en if report.steps else report.refused[0].text.en if report.refused else "-")
    if not report.ok:
        first = report.problems[0].message if report.problems else first
        print(f"{label:<38} check {check_s:6.2f} s   refused: {first[:90]}")
        drafts.discard(d.id, WHO)
        return
    done, publish_s = timed(lambda: publish_draft(runtime, drafts, d.id, WHO, label))
    print(f"{label:<38} check {check_s:6.2f} s   publish {publish_s:6.2f} s   v{done.result.version}: {first[:70]}")


def edit(field_change: Any) -> Any:
    def change(drafts: Drafts, draft_id: int) -> None:
        doc = drafts.document(draft_id, ORDER)
        field_change(doc)
        drafts.edit(draft_id, WHO, {ORDER: doc}, summary=Text("bench", "bench"))
    return change


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/designer.db"
    runtime = Runtime(url, check_interval=0)
    runtime.setup()
    packages.install(runtime, app_path("order_management"))
    _counts, seeded = timed(lambda: seed_demo(runtime, app_path("order_management"), 20261125, date.today()))
    with runtime.db.read() as conn:
        orders = conn.execute(sa.text("select count(*) from t_order")).scalar()
        lines = conn.execute(sa.text("select count(*) from t_order_line")).scalar()
    print(f"{runtime.db.dialect}: {orders} orders, {lines} lines (seeded in {seeded:.0f} s)")

    def coating(doc: dict) -> None:
        doc["fields"].append({"id": "f_coat", "key": "coating_color", "type": "select",
                              "label": {"zh": "涂层颜色", "en": "Coating colour"},
                              "options": [{"value": v, "label": {"zh": v, "en": v}} for v in ("black", "red")]})
    run(runtime, "add a select field", edit(coating))

    def rename(drafts: Drafts, draft_id: int) -> None:
        apps, words = rename_field(drafts.documents(draft_id), "order", "f_remarks", "notes")
        drafts.replace_all(draft_id, WHO, apps, summary=words)
    run(runtime, "rename a field", rename)

    run(runtime, "text to date (rows in the way)", edit(
        lambda doc: next(f for f in doc["fields"] if f["key"] == "notes").update(type="date")))

    with runtime.db.write() as conn:
        conn.execute(sa.text("update t_order set coating_color = 'black'"))
    run(runtime, "choice to text (every row converted)", edit(
        lambda doc: next(f for f in doc["fields"] if f["key"] == "coating_color").update(type="string")))
    before = runtime.current_version(fresh=True)
    run(runtime, "archive a field (data kept)", edit(
        lambda doc: doc["fields"].remove(next(f for f in doc["fields"] if f["key"] == "coating_color"))))

    drafts = Drafts(runtime)
    d = rollback_draft(runtime, drafts, WHO, before)
    report, check_s = timed(lambda: check_documents(runtime, drafts.documents(d.id), d.base_version))
    done, publish_s = timed(lambda: publish_draft(runtime, drafts, d.id, WHO, "roll back"))
    print(f"{'roll back (restore the field)':<38} check {check_s:6.2f} s   publish {publish_s:6.2f} s   "
          f"v{done.result.version}: {report.steps[0].text.en[:70]}")


if __name__ == "__main__":
    main()
