"""The inbound channels feature: push webhooks and pull providers that turn payloads into records."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.hooks.inbound import cli, jobs, tables, web
from sunmao.hooks.inbound.checks import lookup_warnings
from sunmao.hooks.inbound.compiler import compile_channels

FEATURE = Feature(
    name="channels",
    kinds=("channel",),
    compilers=(compile_channels,),
    data_checks=(lookup_warnings,),
    # callers prove themselves with signatures or tokens; no user signs in (the channel's own actor writes)
    blueprints=(Mount(web.blueprint, csrf_exempt=True, userless=True),),
    commands=(cli.command,),
    tables=(tables.inbound, tables.cursor),
    jobs=(jobs.pull_channel,),
)
