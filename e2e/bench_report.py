"""What every local benchmark (`make bench-sweep`, `bench-hub`, `bench-discovery`) does with its figures: writes them
as JSON, then prints its table, where they are, and any problem; its exit status says whether there was one."""

from __future__ import annotations

import json
import time
from pathlib import Path

from localaws import ROOT


def say(text: str) -> None:
    print(text, flush=True)


def save(report: dict, problems: list[str], began: float, logs: Path, out: Path) -> None:
    """Writes the report (also after a failure, with what was measured so far)."""
    report["problems"] = problems
    report["total_s"] = round(time.monotonic() - began, 1)
    report["logs"] = str(logs.relative_to(ROOT))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")


def conclude(report: dict, problems: list[str], out: Path, table: str) -> int:
    """Prints the table, the total time, where the figures are and the problems; 1 when there were problems."""
    say("\n" + table)
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    say(f"\ntotal {report['total_s']:.0f} s; figures in {shown}")
    if problems:
        say("\nproblems:")
        for problem in problems:
            say(f"  - {problem}")
    return 1 if problems else 0
