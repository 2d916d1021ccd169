"""Where the bundled meta-schemas, widgets and apps are, installed or in a checkout.

An installed Sunmao carries them under ``sunmao/_bundle/``; a source checkout (editable
install, tests) reads them from the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parents[1]


def bundle_path(name: str) -> Path:
    """Return the directory of a bundled tree: ``metadata``, ``widgets`` or ``apps``."""
    installed = _PACKAGE_DIR / "_bundle" / name
    if installed.is_dir():
        return installed
    checkout = _REPO_ROOT / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"bundled directory {name!r} not found in {installed} or {checkout}")


def app_path(app_key: str) -> Path:
    """Return the package directory of a bundled app, e.g. ``order_management``."""
    return bundle_path("apps") / app_key
