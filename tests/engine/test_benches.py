"""Every benchmark still runs: ``bench/*.py --quick`` (small sizes), each saving its figures —
ours, the same-run baseline, the ratio — the way ``make bench`` saves them in bench/results.json.
The figures of a quick run are not checked: on a small data set they say nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import postgres_error, require_service

BENCH = Path(__file__).resolve().parents[2] / "bench"
BENCHES = sorted(p.name for p in BENCH.glob("[!_]*.py"))


@pytest.mark.parametrize("name", BENCHES)
def test_the_bench_runs_and_saves_its_figures(name: str, tmp_path: Path) -> None:
    if name == "search.py" and (reason := postgres_error()):  # PostgreSQL's trigram indexes: nothing to run without
        require_service("PostgreSQL", reason)
    results = tmp_path / "results.json"
    env = {**os.environ, "BENCH_RESULTS": str(results), "BENCH_DB": "sqlite"}
    done = subprocess.run([sys.executable, str(BENCH / name), "--quick"], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    saved = json.loads(results.read_text(encoding="utf-8"))[name.removesuffix(".py")]
    assert saved["quick"] is True and saved["cases"]
    for case in saved["cases"]:
        assert case["ours"] > 0 and case["unit"], case
        assert case["met"] is None  # a quick run claims no goal
