"""Helpers for DSR-v1 tests: valid USCCs, a pool, a complete drawn bundle, the verifier CLI."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

from server.directory import identifiers
from server.draws import dsr

REPO = Path(__file__).resolve().parents[2]
DRAW_ID = "0b6f5f0e-8d1c-4b7e-9a51-3f2d7c9e1a42"
SECRET = bytes(range(32))
WITNESS = "3 6 1 5 2 / 王某 李某"


def reference_mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 written literally (recursive split at the largest power of two < n)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    left, right = reference_mth(leaves[:k]), reference_mth(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def make_uscc(n: int, *, prefix: str = "91371000") -> str:
    """A valid USCC (both check characters right) numbered `n`."""
    org8 = f"{n:08d}"
    first17 = prefix + org8 + identifiers.org_code_check_char(org8)
    return first17 + identifiers.uscc_check_char(first17)


def population(n: int) -> list[str]:
    """A canonical population of n valid USCCs."""
    return dsr.canonical_population(make_uscc(i) for i in range(1, n + 1))


def pool(n: int) -> list[str]:
    """n inspector credential numbers, sorted."""
    return dsr.canonical_pool(f"鲁执{370000 + i:07d}" for i in range(n))


def drawn_bundle(
    *, n: int = 230, ratio: str = "0.05", pool_size: int = 9, team_size: int = 2
) -> dict:
    """An internal (auditors') bundle of a commit-reveal draw with conflicts and 2 amendments."""
    members = population(n)
    inspectors = pool(pool_size)
    k = dsr.sample_size(n, ratio=ratio)
    m = dsr.default_alternates(n, k)
    root = dsr.population_root(members)
    seed = dsr.seed(DRAW_ID, root, dsr.entropy_commit_reveal(SECRET, WITNESS))
    selected, alternates = dsr.draw_objects(seed, members, k, m)
    # Conflicts with exactly those who would otherwise be chosen for the first two subjects.
    free = dsr.match_teams(seed, [u for u, _ in selected], inspectors, team_size)
    conflicts = [(free[0]["uscc"], c) for c in free[0]["inspectors"]]
    conflicts.append((free[1]["uscc"], free[1]["inspectors"][0]))
    teams = dsr.match_teams(seed, [u for u, _ in selected], inspectors, team_size, conflicts)
    amendments: list[dict] = []
    for index, reason in ((0, "回避：亲属关系"), (3, "身体原因")):
        uscc, out = teams[index]["uscc"], teams[index]["inspectors"][0]
        incoming = dsr.replace_inspector(
            seed, teams, inspectors, team_size, conflicts, amendments, uscc, out
        )
        amendments.append(
            dsr.amendment(uscc, out, incoming, reason, "leader1", "2026-03-03T09:00:00+08:00")
        )
    return dsr.build_bundle(
        draw_id=DRAW_ID,
        task_number="威经区商务抽查〔2026〕3号",
        task_name="成品油零售经营企业专项检查",
        announced_at="2026-03-02T09:00:00+08:00",
        drawn_at="2026-03-02T10:00:00+08:00",
        filters="全部成品油零售企业",
        exclusions="本年度已检查2次的企业",
        ratio=ratio,
        k=k,
        m=m,
        members=members,
        root=root,
        randomness=dsr.randomness_commit_reveal(dsr.commitment(SECRET), SECRET, WITNESS),
        seed_hex=seed.hex(),
        selected=selected,
        alternates=alternates,
        pool_root_hex=dsr.pool_root(inspectors),
        team_size=team_size,
        teams=teams,
        pool=inspectors,
        amendments=amendments,
        conflicts=conflicts,
    )


def run_verifier(bundle: dict | str, tmp_path: Path, *python_flags: str):
    """Write the bundle (or raw text) and run `python -m server.draws.verify` on it."""
    path = tmp_path / "bundle.json"
    text = bundle if isinstance(bundle, str) else json.dumps(bundle, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, *python_flags, "-m", "server.draws.verify", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
