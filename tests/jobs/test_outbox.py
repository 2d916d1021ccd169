"""The outbox dispatcher: every event reaches its subscribers once, together with their durable work."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sunmao import assembly
from sunmao.jobs import job
from sunmao.jobs.outbox import DispatchContext, Event, dispatch_batch, subscribe, topic_matches, unsubscribe
from sunmao.jobs.runs import enqueue
from sunmao.jobs.tables import job_run
from sunmao.runtime import Runtime
from sunmao.storage import system as sm


@job("tests.noted")
def noted(ctx: object, **_: object) -> None:
    """Does nothing: the outbox tests only count its runs."""


@pytest.mark.parametrize(("pattern", "topic", "matches"), [
    ("order.created", "order.created", True),
    ("order.created", "order.updated", False),
    ("order.*", "order.created", True),
    ("order.*", "order.transition.approved", True),
    ("order.*", "order", False),
    ("*.created", "customer.created", True),
    ("*.created", "order.transition.created", False),
    ("order.transition.*", "order.transition.approved", True),
    ("*", "anything.at.all", True),
])
def test_topic_patterns(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.fail_title: str | None = None
        self.lock = threading.Lock()

    def __call__(self, ctx: DispatchContext, event: Event) -> None:
        enqueue(ctx.conn, "tests.noted", {"event": event.id})  # durable work in the dispatcher's transaction
        if (event.payload.get("record") or {}).get("title") == self.fail_title:
            raise RuntimeError("this subscriber cannot handle it")
        with self.lock:
            self.seen.append(event.id)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    subscribe("tests.recorder", "widget.*")(rec)
    yield rec
    unsubscribe("tests.recorder")


def _pending(runtime: Runtime) -> int:
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).where(sm.outbox.c.dispatched_at.is_(None))).scalar()


def _runs(runtime: Runtime) -> list[str]:
    with runtime.db.read() as conn:
        return [a["event"] for a in conn.execute(sa.select(job_run.c.args)).scalars()]


def test_events_are_dispatched_once_with_their_subscribers_work(lab: Runtime, recorder: Recorder) -> None:
    lab.records().create_many("widget", [{"title": f"w{i}"} for i in range(3)])
    count, _items = dispatch_batch(lab)
    assert count == 3 and _pending(lab) == 0
    assert sorted(recorder.seen) == sorted(_runs(lab))  # dispatched exactly with the runs they recorded
    assert dispatch_batch(lab) == (0, [])


def test_a_failing_subscriber_keeps_its_event_pending_and_writes_nothing(lab: Runtime, recorder: Recorder) -> None:
    recorder.fail_title = "boom"
    lab.records().create_many("widget", [{"title": "ok1"}, {"title": "boom"}, {"title": "ok2"}])
    count, _items = dispatch_batch(lab)
    assert count == 2 and _pending(lab) == 1  # the others are not held up
    assert len(_runs(lab)) == 2  # the failed event's job run was rolled back with it
    recorder.fail_title = None
    from sunmao.jobs import outbox

    outbox._failures.clear(id(lab.db), outbox._failures.skipped(id(lab.db)))  # skip the back-off wait
    assert dispatch_batch(lab)[0] == 1 and _pending(lab) == 0 and len(_runs(lab)) == 3


def test_concurrent_dispatchers_hand_each_event_over_once(lab: Runtime, recorder: Recorder, db_url: str) -> None:
    lab.records().create_many("widget", [{"title": f"w{i}"} for i in range(300)])
    runtimes = [assembly.runtime(db_url, check_interval=0) for _ in range(3)]  # three processes' worth of connections
    errors: list[BaseException] = []

    def dispatcher(rt: Runtime) -> None:
        try:
            while dispatch_batch(rt, limit=20)[0]:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=dispatcher, args=(rt,)) for rt in runtimes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for rt in runtimes:
        rt.db.dispose()
    assert not errors
    assert len(recorder.seen) == 300 and len(set(recorder.seen)) == 300 and _pending(lab) == 0
    assert sorted(_runs(lab)) == sorted(recorder.seen)
