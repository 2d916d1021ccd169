"""What a feature's ``sunmao`` command runs against: the runtime the composition root makes.

A feature declares its click commands in ``Feature.commands``; ``sunmao.cli`` adds them to the
``sunmao`` group and puts a runtime maker in the click context. A command calls
:func:`command_runtime` and gets the runtime with every feature, set up, on ``DATABASE_URL`` —
without importing the composition root, which sits above every feature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sunmao.runtime import Runtime


class RuntimeMaker:
    """Makes the command's runtime on first use (``DATABASE_URL`` is read then, not at import)."""

    def __init__(self, make: Callable[[], Runtime]):
        self._make = make
        self._runtime: Runtime | None = None

    def __call__(self) -> Runtime:
        if self._runtime is None:
            self._runtime = self._make()
            self._runtime.setup()
        return self._runtime


def command_runtime() -> Runtime:
    """The runtime of the running ``sunmao`` command (its platform tables created)."""
    maker = click.get_current_context().find_object(RuntimeMaker)
    if maker is None:
        raise click.UsageError("run this command through `sunmao` (the composition root gives it its runtime)")
    return maker()
