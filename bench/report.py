"""One table for `make bench`: each benchmark appends its headline figures, the summary prints them.

A benchmark calls `headline(...)` for each figure the architecture budgets; when the environment
names a report file (BENCH_REPORT, set by `make bench`), the row is appended to it as a JSON line.
`python -m bench.report FILE` prints the table: figure, floor, ratio, budget, verdict.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path


def headline(
    bench: str, figure: str, value: str, floor: str, ratio: float | None, budget: str, met: bool
) -> None:
    """Append one row (no-op unless BENCH_REPORT names a file); ratio None: no floor applies
    (a correctness budget, such as the load test's "nothing lost or duplicated")."""
    target = os.environ.get("BENCH_REPORT")
    if not target:
        return
    row = {
        "bench": bench,
        "figure": figure,
        "value": value,
        "floor": floor,
        "ratio": None if ratio is None else round(ratio, 4),
        "budget": budget,
        "met": bool(met),
    }
    with Path(target).open("a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def machine() -> str:
    cores = os.cpu_count()
    return f"{platform.machine()} · {cores} cores · Python {platform.python_version()}"


def print_table(path: Path) -> int:
    """Print the collected rows; exit status 1 when a budget was missed."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    header = ("benchmark", "figure", "value", "floor", "ratio", "budget", "")
    table = [header] + [
        (
            r["bench"],
            r["figure"],
            r["value"],
            r["floor"],
            "–" if r["ratio"] is None else f"{r['ratio']:.2f}",
            r["budget"],
            "met" if r["met"] else "NOT met",
        )
        for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    print(f"\nBenchmarks on {machine()}")
    for number, row in enumerate(table):
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("-+-".join("-" * width for width in widths))
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(print_table(Path(sys.argv[1])))
