"""The function RQ workers call (``sunmao.jobs.execute.perform_items``).

RQ carries only ``[queue, id, token]`` references; the work itself is the database row,
performed against this process's runtime. One item's failure does not stop the others: its
lease expires and a pump reserves it again.
"""

from __future__ import annotations

import logging
from typing import Any

from sunmao.jobs.service import process_runtime
from sunmao.jobs.work import perform

log = logging.getLogger(__name__)


def perform_items(items: list[list[Any]]) -> None:
    runtime = process_runtime()
    for queue, item_id, token in items:
        try:
            perform(runtime, str(queue), int(item_id), str(token))
        except Exception:  # noqa: BLE001 - recorded by the lease; the other items still run
            log.exception("work item %s #%s failed outside its own error handling", queue, item_id)
