"""How long the designer's check and publish take on the demo data (``sunmao demo``: ~5,000 orders).

On a fresh database (SQLite file by default, or ``--url`` for PostgreSQL) with the order app and its
demo data, each change below is made in a draft, checked (meta-schemas, static checks, snapshot
compile and the dry-run migration plan, with every stored value converted in memory where a type
changes), then published (the migration, the revision, the version switch, recomputed formulas).
The baseline is the same documents published straight through ``Runtime.publish`` (a dry run, then
the publish) on a twin database seeded the same way — what ``sunmao app install`` does. Prints the
seconds of each, the ratio of the designer's publish to the baseline's, and the plan's first line.

1. add a select field to orders (a column added);
2. rename an order field (a column renamed, references rewritten in five documents);
3. change an order text field to a date where rows hold words (refused at check, rows listed);
4. change a choice field to text on every order (each value converted, the column replaced);
5. archive a field, then roll back (a column archived, then restored with its data).

Run: ``.venv/bin/python bench/designer.py [--url postgresql+psycopg://... --twin postgresql+psycopg://...]``.
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
from _results import QUICK, report, small_demo  # noqa: E402

from sunmao import assembly  # noqa: E402
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


def run(runtime: Runtime, twin: Runtime, label: str, change: Any) -> None:
    """The change through the designer on ``runtime`` (draft, check, publish), and the same
    documents straight through ``Runtime.publish`` on ``twin`` (dry run, publish): the baseline."""
    drafts = Drafts(runtime)
    d = drafts.create(WHO, title=label)
    change(drafts, d.id)
    info = drafts.info(d.id)
    documents = drafts.documents(d.id)
    checked, check_s = timed(lambda: check_documents(runtime, documents, info.base_version))
    _dry, dry_s = timed(lambda: twin.publish(documents, dry_run=True))
    first = (checked.steps[0].text.en if checked.steps else checked.refused[0].text.en if checked.refused else "-")
    report(f"{label}: designer check vs Runtime.publish dry run", check_s, "s", baseline=dry_s, ratio=check_s / dry_s,
           db=runtime.db.dialect)
    if not checked.ok:
        first = checked.problems[0].message if checked.problems else first
        print(f"{label:<38} check {check_s:5.2f} s (dry run {dry_s:5.2f} s)   refused: {first[:80]}")
        drafts.discard(d.id, WHO)
        return
    done, publish_s = timed(lambda: publish_draft(runtime, drafts, d.id, WHO, label))
    _base, base_s = timed(lambda: twin.publish(documents))
    report(f"{label}: designer publish vs Runtime.publish", publish_s, "s", baseline=base_s, ratio=publish_s / base_s,
           db=runtime.db.dialect)
    print(f"{label:<38} check {check_s:5.2f} s (dry run {dry_s:5.2f} s)   publish {publish_s:5.2f} s "
          f"(Runtime.publish {base_s:5.2f} s, {publish_s / base_s:4.2f}×)   v{done.result.version}: {first[:60]}")


def edit(field_change: Any) -> Any:
    def change(drafts: Drafts, draft_id: int) -> None:
        doc = drafts.document(draft_id, ORDER)
        field_change(doc)
        drafts.edit(draft_id, WHO, {ORDER: doc}, summary=Text("bench", "bench"))
    return change


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: new SQLite files)")
    parser.add_argument("--twin", default=None, help="a second, empty database for the baseline (with --url)")
    parser.add_argument("--quick", action="store_true", help="a small data set: only shows that it runs")
    args = parser.parse_args()
    urls = [args.url, args.twin] if args.url else [f"sqlite:///{tempfile.mkdtemp()}/{n}.db" for n in ("a", "b")]
    runtime, twin = (assembly.runtime(url, check_interval=0) for url in urls)
    for rt in (runtime, twin):
        rt.setup()
        packages.install(rt, app_path("order_management"))
        _counts, seeded = timed(lambda rt=rt: small_demo(rt) if QUICK else seed_demo(
            rt, app_path("order_management"), 20261125, date.today()))
    with runtime.db.read() as conn:
        orders = conn.execute(sa.text("select count(*) from t_order")).scalar()
        lines = conn.execute(sa.text("select count(*) from t_order_line")).scalar()
    print(f"{runtime.db.dialect}: {orders} orders, {lines} lines (seeded in {seeded:.0f} s, twice)")

    def coating(doc: dict) -> None:
        doc["fields"].append({"id": "f_coat", "key": "coating_color", "type": "select",
                              "label": {"zh": "涂层颜色", "en": "Coating colour"},
                              "options": [{"value": v, "label": {"zh": v, "en": v}} for v in ("black", "red")]})
    run(runtime, twin, "add a select field", edit(coating))

    def rename(drafts: Drafts, draft_id: int) -> None:
        apps, words = rename_field(drafts.documents(draft_id), "order", "f_remarks", "notes")
        drafts.replace_all(draft_id, WHO, apps, summary=words)
    run(runtime, twin, "rename a field", rename)
    run(runtime, twin, "text to date (rows in the way)", edit(
        lambda doc: next(f for f in doc["fields"] if f["key"] == "notes").update(type="date")))
    for rt in (runtime, twin):
        with rt.db.write() as conn:
            conn.execute(sa.text("update t_order set coating_color = 'black'"))
    run(runtime, twin, "choice to text (every row converted)", edit(
        lambda doc: next(f for f in doc["fields"] if f["key"] == "coating_color").update(type="string")))
    before = runtime.current_version(fresh=True)
    run(runtime, twin, "archive a field (data kept)", edit(
        lambda doc: doc["fields"].remove(next(f for f in doc["fields"] if f["key"] == "coating_color"))))
    drafts = Drafts(runtime)
    d = rollback_draft(runtime, drafts, WHO, before)
    checked, check_s = timed(lambda: check_documents(runtime, drafts.documents(d.id), d.base_version))
    done, publish_s = timed(lambda: publish_draft(runtime, drafts, d.id, WHO, "roll back"))
    _base, base_s = timed(lambda: twin.rollback(before))
    report("roll back: designer publish vs Runtime.rollback", publish_s, "s", baseline=base_s, ratio=publish_s / base_s,
           db=runtime.db.dialect)
    print(f"{'roll back (restore the field)':<38} check {check_s:5.2f} s{'':18}publish {publish_s:5.2f} s "
          f"(Runtime.rollback {base_s:4.2f} s, {publish_s / base_s:4.2f}×)   v{done.result.version}: "
          f"{checked.steps[0].text.en[:60]}")


if __name__ == "__main__":
    main()
