"""What a full test run needs beyond the Python packages, and how to get each on Debian/Ubuntu.

``make test`` installs only Python packages. Browser tests need Debian's Chromium (and a CJK
font, or Chinese text is empty boxes in screenshots), the rules' differential tests need node,
and the PostgreSQL and Redis tests need those servers. Without them those tests skip locally
with a reason, and fail under ``CI=true``. ``tests/conftest.py`` prints the lines below at the
start of a run, only when something is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess

CHROMIUM = "/usr/bin/chromium"  # tests/browser/conftest.py launches this one, never a downloaded browser


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.strip())


def _redis_error(url: str) -> str | None:
    from sunmao.jobs.redisconn import quick_client

    try:
        quick_client(url).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def missing() -> list[str]:
    """One line per missing service: what it is for and the command that installs it."""
    from tests.conftest import PG_URL, postgres_error
    from tests.jobs.conftest import REDIS_TEST_URL
    from tests.rules.jsbridge import find_node

    lines = []
    browser, font = os.path.exists(CHROMIUM), _has_cjk_font()
    if not browser:
        lines.append(f"  {CHROMIUM} (browser tests): sudo apt-get install chromium fonts-wqy-microhei")
    elif not font:
        lines.append("  a CJK font (Chinese text in screenshots): sudo apt-get install fonts-wqy-microhei")
    if find_node() is None:
        lines.append("  node (rules compared with json-logic-js): sudo apt-get install nodejs")
    if postgres_error() is not None:
        lines.append(f"  PostgreSQL at {PG_URL} ($TEST_POSTGRES_URL): sudo apt-get install postgresql,"
                     " then a database `test` (README.md)")
    if _redis_error(REDIS_TEST_URL) is not None:
        lines.append(f"  Redis at {REDIS_TEST_URL}: sudo apt-get install redis-server")
    return lines


def report_header() -> list[str]:
    """The header lines of a test run: nothing when every service is there."""
    lines = missing()
    if not lines:
        return []
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    consequence = "those tests FAIL under CI=true" if in_ci else "those tests skip (they fail under CI=true)"
    return [f"Not found, {consequence}:", *lines, "  See README.md, 'What make test needs'."]
