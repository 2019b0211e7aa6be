"""Benchmark of the DSR-v1 computation (no database), as ratios to its floor.

    python -m bench.draw [--n 1000000] [--ratio 0.05] [--pool 200] [--runs 3]

Generates N valid USCCs in memory (sorted, as the snapshot query returns them) and times, best of
`--runs`: the floor (SHA-256 of each USCC once), the population root, ranking + selection of k
and m alternates, matching k subjects with a pool, the whole draw (root + selection + matching),
and the full verification of the resulting bundle (JSON parse included). The issue's budget is the
draw (snapshot, root, ranks, selection, writes) within 4× the floor "read the eligible USCCs and
SHA-256 each once"; the database read and writes are not part of this run. Matching is reported
apart: §3.3 hashes every candidate of the lowest load group for each subject, ≈ k × pool / 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import report
from server.directory import identifiers
from server.draws import dsr, verify

DRAW_ID = "5a0c1f7e-2b8d-4c39-9e61-7d4f0a2b3c5d"


def make_usccs(n: int) -> list[str]:
    """N distinct valid USCCs (both check characters right), sorted."""
    usccs = []
    for i in range(n):
        org8 = f"{i:08d}"
        first17 = "91371000" + org8 + identifiers.org_code_check_char(org8)
        usccs.append(first17 + identifiers.uscc_check_char(first17))
    usccs.sort()
    return usccs


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `runs` timings of work(), and its last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def floor(usccs: list[str]) -> list[bytes]:
    """The floor: SHA-256 of each USCC once."""
    sha = hashlib.sha256
    return [sha(u.encode()).digest() for u in usccs]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--ratio", default="0.05")
    parser.add_argument("--pool", type=int, default=200, help="inspectors in the pool")
    parser.add_argument("--team-size", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    usccs = make_usccs(args.n)
    generated = time.perf_counter() - started
    k = dsr.sample_size(args.n, ratio=args.ratio)
    m = dsr.default_alternates(args.n, k)
    pool = dsr.canonical_pool(f"鲁执{370000 + i:07d}" for i in range(args.pool))
    secret, witness = dsr.new_secret(), "3 6 1 5 2 / 王某 李某"
    entropy = dsr.entropy_commit_reveal(secret, witness)
    root = dsr.population_root(usccs)
    seed = dsr.seed(DRAW_ID, root, entropy)
    # A handful of conflicts, as a bureau would have: each among the first selected subjects.
    first = [u for u, _ in dsr.draw_objects(seed, usccs, min(k, 50), 0)[0]]
    conflicts = [(u, pool[i % len(pool)]) for i, u in enumerate(first)]

    rows: list[tuple[str, float]] = []
    t_floor, _ = best_of(args.runs, lambda: floor(usccs))
    rows.append(("floor: SHA-256 of each USCC once", t_floor))
    t_root, _ = best_of(args.runs, lambda: dsr.population_root(usccs))
    rows.append(("population root (RFC 6962 MTH)", t_root))
    t_rank, (selected, alternates) = best_of(args.runs, lambda: dsr.draw_objects(seed, usccs, k, m))
    rows.append((f"ranks + selection (k={k}, m={m})", t_rank))
    chosen = [u for u, _ in selected]
    t_match, teams = best_of(
        args.runs, lambda: dsr.match_teams(seed, chosen, pool, args.team_size, conflicts)
    )
    rows.append((f"matching (pool {len(pool)}, team {args.team_size})", t_match))

    def objects_draw() -> tuple:
        draw_root = dsr.population_root(usccs)
        return dsr.draw_objects(dsr.seed(DRAW_ID, draw_root, entropy), usccs, k, m)

    t_objects, _ = best_of(args.runs, objects_draw)
    rows.append(("object draw: root + seed + ranks + selection", t_objects))

    def whole_draw() -> dsr.DrawResult:
        return dsr.compute_draw(
            draw_id=DRAW_ID, members=usccs, k=k, m=m, entropy=entropy, pool=pool,
            team_size=args.team_size, conflicts=conflicts,
        )  # fmt: skip

    t_draw, result = best_of(args.runs, whole_draw)
    rows.append(("whole draw: object draw + matching", t_draw))

    bundle = dsr.build_bundle(
        draw_id=DRAW_ID, task_number="威经区商务抽查〔2026〕1号", task_name="基准测试",
        announced_at="2026-03-02T09:00:00+08:00", drawn_at="2026-03-02T10:00:00+08:00",
        filters="全部", exclusions="无", ratio=args.ratio, k=k, m=m, members=usccs, root=root,
        randomness=dsr.randomness_commit_reveal(dsr.commitment(secret), secret, witness),
        seed_hex=result.seed.hex(),
        selected=result.selected, alternates=result.alternates,
        pool_root_hex=dsr.pool_root(pool), team_size=args.team_size, teams=result.teams,
        pool=pool, conflicts=conflicts,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        size = path.stat().st_size

        def check() -> verify.Verifier:
            return verify.verify(verify.load(str(path)))

        t_verify, verifier = best_of(args.runs, check)
    if verifier.mismatches:
        raise SystemExit("the benchmark's own bundle does not verify:\n" + "\n".join(
            verifier.mismatches))  # fmt: skip
    rows.append((f"full verification (bundle {size / 1e6:.1f} MB, parse included)", t_verify))

    print(f"N={args.n:,}  ratio={args.ratio}  k={k:,}  m={m}  runs={args.runs} (best)")
    print(f"(generating the USCCs took {generated:.2f} s, not counted)")
    print(f"{'step':<58}{'seconds':>9}{'× floor':>9}")
    for name, seconds in rows:
        print(f"{name:<58}{seconds:>9.3f}{seconds / t_floor:>9.2f}")
    within = "within" if t_objects <= 4 * t_floor else "OVER"
    report.headline(
        "draw (in memory)",
        f"object draw, N={args.n:,}",
        f"{t_objects:.2f} s",
        f"{t_floor:.2f} s",
        t_objects / t_floor,
        "≤ 4×",
        t_objects <= 4 * t_floor,
    )
    print(
        f"object draw = {t_objects / t_floor:.2f}× floor: {within} the 4× budget (DB read"
        f" excluded); matching hashes ≈ k × pool / 2 = {k * len(pool) // 2:,} by §3.3's design"
    )


if __name__ == "__main__":
    main()
