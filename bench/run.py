"""Run every benchmark and print their headline figures as one table.

Run from the repository root: `python bench/run.py [--quick] [name ...]` (names as in
`bench_<name>.py`; default all). Each benchmark runs in its own process, its full output
kept in `test-artifacts/bench/<name>.log`; the figures it records with `figures.figure()`
are gathered into the table at the end. `--quick` runs each at a small size (a smoke run of
a few minutes: the figures are then not comparable with the documented ones). A benchmark
that fails is listed with its exit code and the runner exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import FIGURES_ENV

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "test-artifacts" / "bench"

# Small sizes for --quick, in each script's own argument form.
QUICK_ARGS: dict[str, list[str]] = {
    "decisions": ["500", "5000", "1"],
    "delinquency": ["5000"],
    "knowledge": ["--sizes", "2000", "--queries", "40"],
    "ledger": ["200", "5", "100"],
    "maintenance_jobs": ["2000", "2000"],
    "observability": ["2000"],
    "schedules": ["0.2"],
    "servicing": ["2000"],
    "understanding": ["20"],
    "voice": ["--calls", "2"],
    "webhooks": ["--messages", "300", "--senders", "60"],
    "burst": ["--messages", "300", "--borrowers", "60"],
}


def available() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in ROOT.glob("bench/bench_*.py"))


def run_one(name: str, quick: bool, figures_file: Path) -> tuple[int, float]:
    command = [sys.executable, str(ROOT / "bench" / f"bench_{name}.py")]
    if quick:
        command += QUICK_ARGS.get(name, [])
    started = time.monotonic()
    with open(LOGS / f"{name}.log", "w", encoding="utf-8") as log:
        code = subprocess.run(
            command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, FIGURES_ENV: str(figures_file)}, check=False,
        ).returncode
    return code, time.monotonic() - started


def table(rows: list[dict[str, object]], outcomes: dict[str, tuple[int, float]]) -> str:
    lines = [f"{'benchmark':<14} {'figure':<58} {'value':>14} unit", "-" * 96]
    for name, (code, seconds) in outcomes.items():
        mine = [row for row in rows if row["bench"] == name]
        if code != 0:
            lines.append(f"{name:<14} {'FAILED (exit ' + str(code) + ', see log)':<58} "
                         f"{'':>14}")
        elif not mine:
            lines.append(f"{name:<14} {'(no figures recorded)':<58}")
        for row in mine:
            value = row["value"]
            shown = f"{value:,.1f}" if isinstance(value, float) else (
                f"{value:,}" if isinstance(value, int) else str(value))
            lines.append(f"{name:<14} {row['figure']!s:<58} {shown:>14} {row['unit']}")
        lines.append(f"{'':<14} {'(wall time)':<58} {seconds:>14,.0f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"default all: {', '.join(available())}")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(available()))
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (have {', '.join(available())})")
    LOGS.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, tuple[int, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures_file = Path(folder) / "figures.jsonl"
        figures_file.touch()
        for name in args.names or available():
            print(f"running bench_{name}.py …", end=" ", flush=True)
            outcomes[name] = run_one(name, args.quick, figures_file)
            code, seconds = outcomes[name]
            print(f"{'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:,.0f} s",
                  flush=True)
        rows = [json.loads(line) for line in figures_file.read_text().splitlines()]
    print(f"\nload average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"full output in {LOGS.relative_to(ROOT)}/\n")
    print(table(rows, outcomes))
    return 0 if all(code == 0 for code, _ in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
