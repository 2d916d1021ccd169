"""Capacity scheduling: a ``schedule`` document places operations on work centres, forward.

```json
{"kind": "schedule", "key": "cell_plan", "calendar": "plant_days",
 "work_centre": {"entity": "cell", "capacity": "hours_per_day", "calendar": "calendar"},
 "orders": {"entity": "job", "work_centre": "cell", "rows": "steps", "priority": "rank", "then_by": "due"},
 "operation": {"sequence": "seq", "quantity": "count", "setup": "setup_h", "run": "run_h",
               "planned_start": "plan_from", "planned_finish": "plan_to",
               "started": "began_at", "finished": "ended_at"}}
```

The plan is a day-bucket plan, deterministic and checkable by hand:

1. each work centre has ``capacity`` hours on every working day of its calendar (the calendar
   document its ``calendar`` field names, else the schedule's), none on other days;
2. the rows of open orders (live, with a row not ``finished``) that were ``started`` keep their
   planned dates and take their hours first, from their planned start (they are never moved);
3. the other rows are placed highest ``priority`` first (ties: ``then_by`` earliest, then the
   order's id), each order's rows in ``sequence``: a row needs ``setup + run × quantity`` hours,
   taken from the free hours of its centre's days, from the later of the start date and the day
   its previous row finishes; its planned start is the first day it uses, its finish the last;
4. what changed is written through the record service (one update per order, as the system):
   running the job twice writes nothing the second time.

An urgent order therefore goes ahead of everything not yet started, and a started operation
stays where it is. The ``workflow.schedule`` job runs it (``args: {"schedule": key}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from sunmao import clock
from sunmao.meta.errors import Problem
from sunmao.records import SYSTEM, RecordService
from sunmao.records.values import json_value
from sunmao.storage import Database
from sunmao.workflow.calendar import Calendar

NUMBER = ("integer", "decimal", "money", "percent")


@dataclass(frozen=True)
class Schedule:
    key: str
    calendar: Calendar
    calendars: Mapping[str, Calendar]
    horizon_days: int
    centre: str
    capacity: str
    centre_calendar: str | None
    orders: str
    order_centre: str
    rows: str
    priority: str | None
    then_by: str | None
    order_quantity: str | None
    sequence: str | None
    quantity: str | None
    setup: str | None
    run: str
    planned_start: str
    planned_finish: str
    started: str
    finished: str | None


@dataclass
class Placement:
    order_id: int
    row_id: int
    start: date | None
    finish: date | None


class Load:
    """The hours taken on each day of one work centre."""

    def __init__(self, hours: Decimal, calendar: Calendar, horizon: date):
        self.hours, self.calendar, self.horizon = hours, calendar, horizon
        self.used: dict[date, Decimal] = {}

    def days(self, first: date) -> Iterator[date]:
        day = first
        while day <= self.horizon:
            if self.calendar.is_workday(day):
                yield day
            day += timedelta(days=1)

    def take(self, first: date, need: Decimal) -> tuple[date, date] | None:
        """Take ``need`` hours of the free hours from ``first`` on: (first day used, last day used),
        or None when they do not fit before the horizon."""
        start = None
        for day in self.days(first):
            free = self.hours - self.used.get(day, Decimal(0))
            if need <= 0:
                return day, day
            if free <= 0:
                continue
            taken = min(free, need)
            self.used[day] = self.used.get(day, Decimal(0)) + taken
            need -= taken
            start = start or day
            if need <= 0:
                return start, day
        return None


def _number(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(clock.BUSINESS_ZONE).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def plan(db: Database, snapshot: Any, records: RecordService, s: Schedule, start: date | None = None
         ) -> dict[str, Any]:
    """Place every open order's rows and write the planned dates that changed (see the module)."""
    start = start or clock.today()
    horizon = start + timedelta(days=s.horizon_days)
    centres, orders = snapshot.tables[s.centre], snapshot.tables[s.orders]
    with db.read() as conn:
        loads = {}
        for row in conn.execute(sa.select(centres).where(centres.c.deleted_at.is_(None))).mappings():
            named = row[s.centre_calendar] if s.centre_calendar else None
            loads[row["id"]] = Load(_number(row[s.capacity]), s.calendars.get(named or "", s.calendar), horizon)
        order_ids = conn.execute(sa.select(orders.c.id).where(orders.c.deleted_at.is_(None),
                                                              orders.c[s.order_centre].is_not(None))).scalars().all()
        found = [records.fetch(conn, s.orders, i) for i in order_ids]
    open_orders = [o for o in found if o.get(s.rows) and
                   (s.finished is None or any(r.get(s.finished) is None for r in o[s.rows]))]
    in_sequence = {o["id"]: sorted(o[s.rows], key=lambda r: (r.get(s.sequence) or 0) if s.sequence else 0)
                   for o in open_orders}  # stable: rows of one sequence number keep their order

    placed: dict[tuple[int, int], Placement] = {}
    ready: dict[int, date] = {}
    unplaced = []
    for o in open_orders:  # started rows first: they hold their days
        load = loads.get(o[s.order_centre])
        for r in in_sequence[o["id"]]:
            if r.get(s.started) is None:
                continue
            begin = _day(r.get(s.planned_start)) or _day(r.get(s.started))
            finish = _day(r.get(s.planned_finish))
            if load is not None and (s.finished is None or r.get(s.finished) is None) and begin is not None:
                got = load.take(max(begin, start), _need(s, o, r))
                finish = finish or (got[1] if got else None)
            ready[o["id"]] = max(ready.get(o["id"], start), finish or start)
    order = sorted(open_orders, key=lambda o: (
        -_number(o.get(s.priority)) if s.priority else 0,
        (0, str(o[s.then_by])) if s.then_by and o.get(s.then_by) is not None else (1, ""), o["id"]))
    for o in order:
        load = loads.get(o[s.order_centre])
        for r in in_sequence[o["id"]]:
            if r.get(s.started) is not None:
                continue
            got = load.take(ready.get(o["id"], start), _need(s, o, r)) if load is not None and load.hours > 0 else None
            if got is None:
                unplaced.append(r["id"])
                break  # the rows after it cannot come earlier
            placed[(o["id"], r["id"])] = Placement(o["id"], r["id"], *got)
            ready[o["id"]] = got[1]
    written = _write(db, records, s, open_orders, placed)
    return {"orders": len(open_orders), "operations": len(placed), "changed": written, "unplaced": len(unplaced)}


def _need(s: Schedule, order: Mapping[str, Any], row: Mapping[str, Any]) -> Decimal:
    qty = row.get(s.quantity) if s.quantity else None
    if qty in (None, "") and s.order_quantity:
        qty = order.get(s.order_quantity)
    setup = _number(row.get(s.setup)) if s.setup else Decimal(0)
    return setup + _number(row.get(s.run)) * _number(qty)


def _write(db: Database, records: RecordService, s: Schedule, orders: list[dict[str, Any]],
           placed: Mapping[tuple[int, int], Placement]) -> int:
    changed = 0
    for o in orders:
        rows, dirty = [], 0
        for r in o[s.rows]:
            p = placed.get((o["id"], r["id"]))
            if p is not None and (_day(r.get(s.planned_start)), _day(r.get(s.planned_finish))) != (p.start, p.finish):
                r = {**r, s.planned_start: p.start, s.planned_finish: p.finish}
                dirty += 1
            rows.append(json_value({k: v for k, v in r.items() if k not in ("idx", "parent_id")}))
        if not dirty:
            continue
        with db.write() as conn:
            records.update(s.orders, o["id"], {s.rows: rows}, actor=SYSTEM, skip_read_only=True,
                           expected_version=o["version"], conn=conn)
        changed += dirty
    return changed


# -- compiling --------------------------------------------------------------------------------------

def compile_schedules(snapshot: Any) -> tuple[str, Mapping[str, Schedule], list[Problem]]:
    """Feature compiler: every ``schedule`` document, its names checked against the entities."""
    problems: list[Problem] = []
    calendars = {doc["key"]: Calendar.from_document(doc) for _f, doc in snapshot.documents("calendar")}
    out: dict[str, Schedule] = {}
    for file, doc in snapshot.documents("schedule"):
        built = _compile_one(file, doc, snapshot, calendars, problems)
        if built is not None:
            out[built.key] = built
    return "schedules", MappingProxyType(out), problems


def _compile_one(file: str, doc: Mapping[str, Any], snapshot: Any, calendars: Mapping[str, Calendar],
                 problems: list[Problem]) -> Schedule | None:
    before = len(problems)
    ents = snapshot.entities

    def entity(key: str, path: str, child: bool = False) -> Any:
        e = ents.get(key)
        if e is None or bool(e.child) != child:
            problems.append(Problem(file, path, f"{key!r} is not an entity{' of rows' if child else ' with records'}"))
            return None
        return e

    def field(e: Any, key: str | None, path: str, types: tuple[str, ...] = ()) -> Any:
        if e is None or key is None:
            return None
        f = e.by_key.get(key)
        if f is None:
            problems.append(Problem(file, path, f"{key!r} is not a field of {e.key}"))
        elif types and f.value_type not in types:
            problems.append(Problem(file, path, f"{e.key}.{key} must be a {' or '.join(types)} field"))
        return f

    wc, od, op = doc["work_centre"], doc["orders"], doc["operation"]
    centre = entity(wc["entity"], "$.work_centre.entity")
    orders = entity(od["entity"], "$.orders.entity")
    field(centre, wc["capacity"], "$.work_centre.capacity", NUMBER)
    field(centre, wc.get("calendar"), "$.work_centre.calendar", ("string", "select"))
    link = field(orders, od["work_centre"], "$.orders.work_centre", ("link",))
    if link is not None and centre is not None and link.to != centre.key:
        problems.append(Problem(file, "$.orders.work_centre", f"{orders.key}.{link.key} must link to {centre.key}"))
    table = field(orders, od["rows"], "$.orders.rows", ("table",))
    field(orders, od.get("priority"), "$.orders.priority", NUMBER)
    field(orders, od.get("then_by"), "$.orders.then_by")
    field(orders, od.get("quantity"), "$.orders.quantity", NUMBER)
    rows = entity(table.of, "$.orders.rows", child=True) if table is not None and table.type == "table" else None
    for key in ("sequence", "quantity", "setup", "run"):
        field(rows, op.get(key), f"$.operation.{key}", NUMBER)
    for key in ("planned_start", "planned_finish"):
        field(rows, op[key], f"$.operation.{key}", ("date",))
    for key in ("started", "finished"):
        field(rows, op.get(key), f"$.operation.{key}")
    if doc.get("calendar") and doc["calendar"] not in calendars:
        problems.append(Problem(file, "$.calendar", f"calendar {doc['calendar']!r} is not defined"))
    if len(problems) > before:
        return None
    return Schedule(
        key=doc["key"], calendar=calendars.get(doc.get("calendar") or "", Calendar()),
        calendars=MappingProxyType(calendars), horizon_days=doc.get("horizon_days", 730),
        centre=centre.key, capacity=wc["capacity"], centre_calendar=wc.get("calendar"),
        orders=orders.key, order_centre=od["work_centre"], rows=od["rows"], priority=od.get("priority"),
        then_by=od.get("then_by"), order_quantity=od.get("quantity"), sequence=op.get("sequence"),
        quantity=op.get("quantity"), setup=op.get("setup"), run=op["run"], planned_start=op["planned_start"],
        planned_finish=op["planned_finish"], started=op["started"], finished=op.get("finished"))
