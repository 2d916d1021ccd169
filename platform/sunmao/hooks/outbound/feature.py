"""The outbound webhooks feature: events delivered to other systems, signed, retried, replayable."""

from __future__ import annotations

from sunmao.feature import Feature
from sunmao.hooks.outbound import cli, deliver, tables
from sunmao.hooks.outbound.model import compile_webhooks

FEATURE = Feature(
    name="webhooks",
    kinds=("webhook",),
    compilers=(compile_webhooks,),
    commands=(cli.command,),
    tables=(tables.delivery, tables.rate_slot),
    jobs=(deliver.DELIVERIES, deliver.on_event),
)
