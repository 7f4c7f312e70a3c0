"""Headline figures of a benchmark, collected by `bench/run.py` into one table.

A benchmark prints whatever detail helps its reader and calls `figure()` for the numbers
that matter. Run on its own, `figure()` does nothing; under the runner
(`LENDLINE_BENCH_FIGURES` names a file) each call appends one JSON line there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

FIGURES_ENV = "LENDLINE_BENCH_FIGURES"


def figure(name: str, value: float | int | str, unit: str = "") -> None:
    """Record one headline figure of the running benchmark (`bench_<name>.py`)."""
    path = os.environ.get(FIGURES_ENV)
    if not path:
        return
    bench = Path(sys.argv[0]).stem.removeprefix("bench_")
    row = {"bench": bench, "figure": name, "value": value, "unit": unit}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")
