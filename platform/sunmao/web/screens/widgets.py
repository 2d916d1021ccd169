"""The widget registry: every directory of ``widgets/`` with a ``<name>.html`` macro file.

A widget is one Jinja macro (``render``) plus optional ``<name>.js`` and ``<name>.css`` beside
it, so metadata can pick a widget by name and a page loads only the assets of the widgets it
uses. Third-party files live under ``widgets/vendor/`` with their version and licence; the
rules scripts under ``widgets/rules/``. Nothing is fetched from a CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sunmao.resources import bundle_path

NOT_WIDGETS = ("vendor", "rules")


@dataclass(frozen=True)
class Widget:
    name: str
    template: str
    js: str | None
    css: str | None


@cache
def known_widgets() -> dict[str, Widget]:
    root = bundle_path("widgets")
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in NOT_WIDGETS):
        name = folder.name
        if not (folder / f"{name}.html").is_file():
            continue
        js = f"{name}/{name}.js" if (folder / f"{name}.js").is_file() else None
        css = f"{name}/{name}.css" if (folder / f"{name}.css").is_file() else None
        found[name] = Widget(name, f"{name}/{name}.html", js, css)
    return found


def widget_root() -> Path:
    return bundle_path("widgets")


def assets(names: list[str] | set[str]) -> tuple[list[str], list[str]]:
    """The script and stylesheet paths (under ``/assets/``) of the named widgets, in a stable order."""
    widgets = known_widgets()
    chosen = [widgets[n] for n in sorted(set(names)) if n in widgets]
    return [w.js for w in chosen if w.js], [w.css for w in chosen if w.css]
