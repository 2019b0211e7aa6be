"""DSR-v1, the verifiable double-random draw: pure functions, standard library only.

The contract is ../shared/protocols/draw-dsr-v1.md; section numbers (§) below refer to it. The
standalone verifier (server/draws/verify.py) reuses this module, so it must never import anything
outside the Python standard library (no Flask, no SQLAlchemy, not even other server modules).

Amendments. The contract defines one kind, "replacement" (§3.5). Articles 17–18 of the rules also
allow a recusing inspector to swap objects with a colleague or to leave the task, and §2.4 lets an
alternate take a selected subject's place; we record these as three extension kinds in the same
shape (every amendment has "kind", "reason", "approved_by", "at"), each replayable from the
bundle alone, in order:

- "swap" {"uscc": u, "out": A, "with_uscc": v, "in": B}: A leaves u's team for v's, B leaves v's
  for u's; loads do not change. The partner is not chosen by anyone: among the inspectors B on the
  other teams v where B is not barred from u (conflict, already on u's team, removed from u,
  withdrawn) and A is not barred from v, the first by (match(u, B), v's position in rank order).
  A is removed from u afterwards, as after a replacement.
- "withdrawal" {"out": A}: A leaves the task: barred from every subject from then on. It is
  followed by one "replacement" of A for each subject A held, in rank order (§3.5 each).
- "alternate" {"uscc": u, "in": a, "inspectors": [...]}: the selected subject u leaves the draw
  (deregistered, closed or unreachable; §2.4), its team is released (their loads decrease), and the
  first alternate not used yet, a, gets a team by §3.3 given the current loads.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, Context, Decimal, Inexact, InvalidOperation
from itertools import islice

PROTOCOL = "DSR-v1"
COMMIT_REVEAL = "commit-reveal"
BEACON = "beacon"
REPLACEMENT = "replacement"
SWAP = "swap"
WITHDRAWAL = "withdrawal"
ALTERNATE = "alternate"
AMENDMENT_KINDS = (REPLACEMENT, SWAP, WITHDRAWAL, ALTERNATE)
USCC_LENGTH = 18
SECRET_BYTES = 32


_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"
_SEP = b"\x00"
# For §2.4's "first k + m of N" we keep only ranks below a threshold instead of sorting all N
# (ranks are uniform). The margin keeps the fall-back to a full ordering astronomically rare.
_THRESHOLD_BITS = 64


class DrawError(ValueError):
    """Input that DSR-v1 does not accept (unsorted population, bad ratio, …)."""


class NoSwapPartner(DrawError):
    """No inspector of another team can take the recusing inspector's place (swap)."""


class NoAlternateLeft(DrawError):
    """Every alternate of the draw is already in use (§2.4: never a re-draw)."""


class InsufficientInspectors(DrawError):
    """Fewer eligible inspectors than the team size for one subject (§3.3)."""

    def __init__(self, uscc: str, available: int, needed: int = 1) -> None:
        self.uscc = uscc
        self.available = available
        self.needed = needed
        super().__init__(
            f"subject {uscc}: {available} eligible inspector(s), {needed} needed"
            f" / 可派检查人员不足：{uscc} 仅 {available} 人，需要 {needed} 人"
        )


# --- §1.1–1.2 population and Merkle root -------------------------------------------------------


def merkle_tree_hash(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash of the leaves (bottom-up, O(n) hashes)."""
    sha = _sha256
    return _merkle_levels([sha(_LEAF + leaf).digest() for leaf in leaves])


def _merkle_levels(level: list[bytes]) -> bytes:
    """The root above a list of leaf hashes."""
    if not level:
        return _sha256(b"").digest()
    sha = _sha256
    # Pairing left to right and promoting an odd last node unchanged gives exactly RFC 6962's
    # split at the largest power of two < n (the left subtree is always complete).
    while len(level) > 1:
        pairs = zip(level[0::2], level[1::2], strict=False)  # an odd last node has no partner
        paired = [sha(_NODE + a + b).digest() for a, b in pairs]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def check_sorted_unique(values: Sequence[str], what: str = "population") -> None:
    """Raise DrawError unless values ascend strictly by UTF-8 bytes (i.e. sorted, no duplicates)."""
    # UTF-8 preserves code point order, so comparing the str values compares their UTF-8 bytes.
    # The C-level pass is the common case; the Python loop only runs to name the culprit.
    if all(map(str.__lt__, values, islice(values, 1, None))):
        return
    for index in range(1, len(values)):
        if not values[index - 1] < values[index]:
            problem = "duplicate" if values[index - 1] == values[index] else "not sorted"
            raise DrawError(f"{what}: {problem} at index {index} ({values[index]!r})")


def merkle_root_hex(values: Sequence[str], what: str = "population") -> str:
    """Hex MTH over utf8 of a sorted, duplicate-free list of identifiers (§1.2, §3.1)."""
    check_sorted_unique(values, what)
    return _merkle_levels(_leaf_hashes(values)).hex()


def _leaf_hashes(values: Sequence[str]) -> list[bytes]:
    sha = _sha256
    return [sha(_LEAF + value.encode()).digest() for value in values]


def population_root(usccs: Sequence[str]) -> str:
    """Hex population root over the sorted, duplicate-free USCC list (§1.2)."""
    return merkle_root_hex(usccs, "population")


def pool_root(credentials: Sequence[str]) -> str:
    """Hex inspector pool root over the sorted credential numbers (§3.1)."""
    return merkle_root_hex(credentials, "pool")


def canonical_population(usccs: Iterable[str]) -> list[str]:
    """Upper-case, check and sort USCCs by UTF-8 bytes; reject duplicates (§1.1)."""
    values = usccs if isinstance(usccs, list) else list(usccs)
    try:
        joined = "\n".join(values)
    except TypeError:  # not all str
        joined = None
    if joined is None or joined.count("\n") != max(0, len(values) - 1):
        # Not all str, or a value holding the separator: convert and check one by one.
        return _sorted_unique(_canonical_slowly(values))
    return canonical_population_lines(joined, len(values))


def canonical_population_lines(joined: str, count: int) -> list[str]:
    """canonical_population() of `count` USCCs given as one newline-separated string."""
    # A million values: upper-case and check them as one string (C speed); only if that fails
    # does the per-value loop run, to strip spaces and name the culprit.
    lines = joined.count("\n") + 1 if count else 0
    if lines != count:
        raise DrawError(f"expected {count} USCCs, one per line, got {lines} lines")
    upper = joined.upper()
    if _USCC_LINES.fullmatch(upper):
        return _sorted_unique(upper.split("\n") if count else [])
    return _sorted_unique(_canonical_slowly(joined.split("\n")))


def _sorted_unique(result: list[str]) -> list[str]:
    result.sort()
    check_sorted_unique(result, "population")
    return result


_USCC_LINES = re.compile(rf"(?:[0-9A-Z]{{{USCC_LENGTH}}}(?:\n[0-9A-Z]{{{USCC_LENGTH}}})*)?")


def _canonical_slowly(values: list) -> list[str]:
    result = []
    for raw in values:
        uscc = str(raw).strip().upper()
        if len(uscc) != USCC_LENGTH or not (uscc.isascii() and uscc.isalnum()):
            raise DrawError(f"not an 18-character USCC: {raw!r}")
        result.append(uscc)
    return result


def canonical_pool(credentials: Iterable[str]) -> list[str]:
    """Sort inspector credential numbers by UTF-8 bytes; reject empty values and duplicates."""
    result = sorted(str(c) for c in credentials)
    if any(not c or c != c.strip() for c in result):
        raise DrawError("pool: empty credential number or surrounding spaces")
    check_sorted_unique(result, "pool")
    return result


# --- §1.3 sample size ----------------------------------------------------------------------------


def parse_ratio(ratio: str) -> Decimal:
    """The ratio as an exact Decimal in [0, 1], from its decimal string (never a float)."""
    if not isinstance(ratio, str):
        raise DrawError('ratio must be a decimal string such as "0.05"')
    try:
        value = Decimal(ratio.strip())
    except InvalidOperation:
        raise DrawError(f"ratio is not a decimal number: {ratio!r}") from None
    if not value.is_finite() or value < 0 or value > 1:
        raise DrawError(f"ratio must be between 0 and 1: {ratio!r}")
    return value


def sample_size(n: int, *, count: int | None = None, ratio: str | None = None) -> int:
    """k: a count (at most N), or ceil(N × ratio) in exact decimal arithmetic (§1.3)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DrawError("N must be a non-negative integer")
    if (count is None) == (ratio is None):
        raise DrawError("give exactly one of count and ratio")
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DrawError("count must be a non-negative integer")
        return min(count, n)
    value = parse_ratio(ratio)
    # Enough digits for the exact product; trapping Inexact proves no rounding happened before
    # the one ROUND_CEILING we mean.
    digits = len(str(n)) + len(value.as_tuple().digits) + 2
    context = Context(prec=digits, traps=[Inexact, InvalidOperation])
    try:
        product = context.multiply(Decimal(n), value)
        return int(product.to_integral_value(rounding=ROUND_CEILING, context=context))
    except (Inexact, InvalidOperation):
        raise DrawError(f"ratio cannot be applied exactly: {ratio!r}") from None


def default_alternates(n: int, k: int) -> int:
    """m = min(N − k, max(5, ceil(k / 10))) (§1.3)."""
    return min(n - k, max(5, -(-k // 10)))


# --- §1.4, §2.1–2.2 randomness and seed --------------------------------------------------------


def new_secret() -> bytes:
    """A fresh commit-reveal secret S: 32 bytes from `secrets` (§1.4)."""
    return secrets.token_bytes(SECRET_BYTES)


def commitment(secret: bytes) -> str:
    """hex(SHA256(S)), published at announcement (§1.4)."""
    return _sha256(secret).hexdigest()


def normalise_witness(witness: str) -> str:
    """The witness input W in Unicode NFC, so the same typed text always hashes the same."""
    return unicodedata.normalize("NFC", witness)


def entropy_commit_reveal(secret: bytes, witness: str) -> bytes:
    """entropy = S || SHA256(utf8(NFC(W))) (§2.1)."""
    return secret + _sha256(normalise_witness(witness).encode()).digest()


def entropy_beacon(randomness: bytes) -> bytes:
    """entropy = the 32 randomness bytes the beacon published for the round (§2.1)."""
    if len(randomness) != 32:
        raise DrawError("beacon randomness must be 32 bytes")
    return randomness


def seed(draw_id: str, population_root_hex: str, entropy: bytes) -> bytes:
    """SHA256("DSR-v1" 0x00 draw_id 0x00 population_root(32 bytes) 0x00 entropy) (§2.2)."""
    root = bytes.fromhex(population_root_hex)
    if len(root) != 32:
        raise DrawError("population root must be 32 bytes (64 hex digits)")
    material = PROTOCOL.encode() + _SEP + draw_id.encode() + _SEP + root + _SEP + entropy
    return _sha256(material).digest()


# --- §2.3–2.4 ranks, selection, alternates -----------------------------------------------------


def rank(seed_bytes: bytes, uscc: str) -> bytes:
    """rank(u) = SHA256(seed || 0x00 || utf8(u)) (§2.3)."""
    return _sha256(seed_bytes + _SEP + uscc.encode()).digest()


def ranked(seed_bytes: bytes, usccs: Iterable[str]) -> list[tuple[bytes, str]]:
    """Every (rank, uscc) of the population, in population order (one SHA-256 per USCC)."""
    prefix = seed_bytes + _SEP
    sha = _sha256
    return [(sha(prefix + u.encode()).digest(), u) for u in usccs]


def smallest(seed_bytes: bytes, usccs: Sequence[str], count: int) -> list[tuple[bytes, str]]:
    """The `count` smallest (rank, uscc) pairs, ascending: §2.4's order, without sorting all N."""
    total = len(usccs)
    if count <= 0:
        return []
    # Keep ranks below a threshold expected to admit count + 8σ + 64 of N. Everything below the
    # threshold is kept, so if at least `count` pass, the `count` smallest overall are among them.
    expected = count + 8 * math.isqrt(count) + 64
    if count * 4 >= total or expected >= total:
        return sorted(ranked(seed_bytes, usccs))[:count]
    limit = ((expected << _THRESHOLD_BITS) // total).to_bytes(_THRESHOLD_BITS // 8, "big")
    prefix = seed_bytes + _SEP
    kept = _below(prefix, usccs, limit)
    if len(kept) < count:
        return sorted(ranked(seed_bytes, usccs))[:count]
    kept.sort()
    return kept[:count]


def _below(prefix: bytes, usccs: Sequence[str], limit: bytes) -> list[tuple[bytes, str]]:
    """(rank, uscc) of the members whose rank SHA256(prefix || utf8(u)) is below `limit`."""
    sha = _sha256
    return [(d, u) for u in usccs if (d := sha(prefix + u.encode()).digest()) < limit]


def draw_objects(
    seed_bytes: bytes, population: Sequence[str], k: int, m: int
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(selected, alternates) as (uscc, rank hex), ordered by rank bytes then uscc (§2.4)."""
    if k < 0 or m < 0 or k + m > len(population):
        raise DrawError(f"k={k}, m={m} do not fit a population of {len(population)}")
    first = [(u, r.hex()) for r, u in smallest(seed_bytes, population, k + m)]
    return first[:k], first[k:]


# --- §3 inspector matching ---------------------------------------------------------------------


def match_hash(seed_bytes: bytes, uscc: str, credential: str) -> bytes:
    """match(u, c) = SHA256(seed || 0x01 || utf8(u) || 0x00 || utf8(c)) (§3.3)."""
    return _sha256(seed_bytes + _NODE + uscc.encode() + _SEP + credential.encode()).digest()


def conflicts_by_subject(conflicts: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """{uscc: {credential, …}} from (uscc, credential) pairs."""
    result: dict[str, set[str]] = {}
    for uscc, credential in conflicts:
        result.setdefault(uscc, set()).add(credential)
    return result


@dataclass
class Matching:
    """The state of §3's matching: teams, loads and who may no longer serve which subject."""

    seed: bytes
    pool: Sequence[str]
    team_size: int
    conflicts: Mapping[str, set[str]]
    teams: dict[str, list[str]] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)
    # Inspectors replaced out of a subject stay out of its candidates (§3.5).
    removed: dict[str, set[str]] = field(default_factory=dict)
    # Inspectors who left the task (withdrawal): candidates for no subject any more.
    withdrawn: set[str] = field(default_factory=set)
    # Subjects an alternate replaced: out of the matching for good.
    released: set[str] = field(default_factory=set)
    # Pool members grouped by load, so a subject hashes only the lowest-load groups it needs.
    levels: dict[int, set[str]] = field(default_factory=dict)
    in_pool: set[str] = field(default_factory=set, init=False)
    # utf8(c) of every pool member, encoded once (a large draw hashes ~k × pool / 2 of them).
    encoded: dict[str, bytes] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.team_size < 2:
            raise DrawError("team_size must be at least 2")
        for credential in self.pool:
            self.loads[credential] = 0
        self.levels = {0: set(self.pool)} if self.pool else {}
        self.in_pool = set(self.pool)
        self.encoded = {credential: credential.encode() for credential in self.pool}

    def shift(self, credential: str, delta: int) -> None:
        """Change one inspector's load (the number of subjects currently held)."""
        load = self.loads.get(credential, 0)
        self.loads[credential] = load + delta
        if credential in self.in_pool:
            group = self.levels[load]
            group.discard(credential)
            if not group:
                del self.levels[load]
            self.levels.setdefault(load + delta, set()).add(credential)

    def barred(self, uscc: str) -> set[str]:
        """Not candidates for u: conflicts, u's team, inspectors replaced out of u (§3.3, §3.5)."""
        return (
            self.conflicts.get(uscc, set())
            | set(self.teams.get(uscc, ()))
            | self.removed.get(uscc, set())
            | self.withdrawn
        )

    def best(self, uscc: str, count: int) -> list[str]:
        """The first `count` candidates for u by (load, match(u, c)) ascending (§3.3)."""
        barred = self.barred(uscc)
        prefix = self.seed + _NODE + uscc.encode() + _SEP
        encoded, sha = self.encoded, _sha256
        chosen: list[str] = []
        # Lower loads always come first, so walk the load groups upwards; within a group the
        # order is match(u, c), unique per c, and only groups reached need hashing.
        for load in sorted(self.levels):
            group = self.levels[load] - barred if barred else self.levels[load]
            keyed = sorted([(sha(prefix + encoded[c]).digest(), c) for c in group])
            chosen.extend(c for _, c in keyed[: count - len(chosen)])
            if len(chosen) == count:
                return chosen
        raise InsufficientInspectors(uscc, len(chosen), count)

    def assign(self, uscc: str) -> list[str]:
        """Give subject u its team of team_size and raise their loads (§3.3)."""
        if uscc in self.teams or uscc in self.released:
            raise DrawError(f"subject {uscc} is matched twice")
        team = self.best(uscc, self.team_size)
        self.teams[uscc] = team
        for credential in team:
            self.shift(credential, 1)
        return team

    def replacement_for(self, uscc: str, out: str) -> str:
        """Who replaces `out` on u's team: the next candidate of §3.3 given current loads (§3.5)."""
        team = self.teams.get(uscc)
        if team is None:
            raise DrawError(f"subject {uscc} has no team")
        if out not in team:
            raise DrawError(f"inspector {out} is not on the team of {uscc}")
        # Current load = subjects currently held; `out` no longer holds u (and is barred from u).
        self.shift(out, -1)
        try:
            return self.best(uscc, 1)[0]
        finally:
            self.shift(out, 1)

    def replace(self, uscc: str, out: str, incoming: str) -> None:
        """Apply a replacement: `incoming` takes `out`'s place on u's team (same position)."""
        team = self.teams[uscc]
        if out not in team:
            raise DrawError(f"inspector {out} is not on the team of {uscc}")
        if incoming not in self.in_pool or incoming in self.barred(uscc):
            raise DrawError(f"inspector {incoming} cannot join the team of {uscc}")
        team[team.index(out)] = incoming
        self.shift(out, -1)
        self.shift(incoming, 1)
        self.removed.setdefault(uscc, set()).add(out)

    # --- extension amendments (module docstring) ---

    def _team(self, uscc: str, out: str) -> list[str]:
        team = self.teams.get(uscc)
        if team is None:
            raise DrawError(f"subject {uscc} has no team")
        if out not in team:
            raise DrawError(f"inspector {out} is not on the team of {uscc}")
        return team

    def swap_partner(self, uscc: str, out: str) -> tuple[str, str]:
        """(v, B): the subject and inspector `out` swaps with, by (match(u, B), v's rank)."""
        self._team(uscc, out)
        barred_here = self.barred(uscc) | {out}
        prefix = self.seed + _NODE + uscc.encode() + _SEP
        best: tuple[bytes, int, str, str] | None = None
        # Teams are kept in rank order (drawn subjects, then alternates in the order used).
        for position, (other, team) in enumerate(self.teams.items()):
            if other == uscc or out in self.barred(other):
                continue
            for partner in team:
                if partner in barred_here:
                    continue
                key = (_sha256(prefix + partner.encode()).digest(), position, other, partner)
                if best is None or key < best:
                    best = key
        if best is None:
            raise NoSwapPartner(f"no inspector of another team can swap with {out} on {uscc}")
        return best[2], best[3]

    def swap(self, uscc: str, out: str, other: str, partner: str) -> None:
        """Apply a swap: `out` takes `partner`'s place on `other`'s team and vice versa."""
        team, other_team = self._team(uscc, out), self._team(other, partner)
        if uscc == other or partner in self.barred(uscc) or out in self.barred(other):
            raise DrawError(f"inspectors {out} and {partner} cannot swap {uscc} and {other}")
        team[team.index(out)] = partner
        other_team[other_team.index(partner)] = out
        self.removed.setdefault(uscc, set()).add(out)

    def held_by(self, credential: str) -> list[str]:
        """The subjects whose team `credential` is on, in rank order."""
        return [u for u, team in self.teams.items() if credential in team]

    def withdraw(self, credential: str) -> list[str]:
        """Bar `credential` from every subject; returns the subjects still to replace it on."""
        if credential not in self.in_pool:
            raise DrawError(f"inspector {credential} is not in the pool")
        if credential in self.withdrawn:
            raise DrawError(f"inspector {credential} has already withdrawn")
        self.withdrawn.add(credential)
        return self.held_by(credential)

    def release(self, uscc: str) -> list[str]:
        """Take subject u out of the matching (an alternate replaces it): its team's loads drop."""
        team = self.teams.pop(uscc, None)
        if team is None:
            raise DrawError(f"subject {uscc} has no team")
        self.released.add(uscc)
        for credential in team:
            self.shift(credential, -1)
        return team

    def place(self, uscc: str, team: Sequence[str]) -> None:
        """Put a recorded team on u as it stands (replaying an alternate amendment)."""
        if uscc in self.teams or uscc in self.released:
            raise DrawError(f"subject {uscc} is matched twice")
        self.teams[uscc] = list(team)
        for credential in team:
            self.shift(credential, 1)

    def apply(self, amendment: Mapping) -> None:
        """Apply one recorded amendment of any kind (already checked) to the state."""
        kind = amendment.get("kind")
        if kind == REPLACEMENT:
            self.replace(amendment["uscc"], amendment["out"], amendment["in"])
        elif kind == SWAP:
            self.swap(amendment["uscc"], amendment["out"], amendment["with_uscc"], amendment["in"])
        elif kind == WITHDRAWAL:
            self.withdraw(amendment["out"])
        elif kind == ALTERNATE:
            self.release(amendment["uscc"])
            self.place(amendment["in"], amendment["inspectors"])
        else:
            raise DrawError(f"unknown amendment kind {kind!r}")

    def team_list(self) -> list[dict]:
        """The teams in §4's shape, in the order subjects were matched (rank order)."""
        return [{"uscc": u, "inspectors": list(team)} for u, team in self.teams.items()]


def new_matching(
    seed_bytes: bytes,
    pool: Sequence[str],
    team_size: int,
    conflicts: Iterable[tuple[str, str]] = (),
) -> Matching:
    """An empty matching over a sorted pool (checked), with conflicts as (uscc, credential)."""
    check_sorted_unique(pool, "pool")
    return Matching(seed_bytes, pool, team_size, conflicts_by_subject(conflicts))


def match_teams(
    seed_bytes: bytes,
    selected: Sequence[str],
    pool: Sequence[str],
    team_size: int,
    conflicts: Iterable[tuple[str, str]] = (),
) -> list[dict]:
    """Teams for the selected USCCs (given in rank order) per §3.3, in §4's shape."""
    matching = new_matching(seed_bytes, pool, team_size, conflicts)
    for uscc in selected:
        matching.assign(uscc)
    return matching.team_list()


def matching_from_teams(
    seed_bytes: bytes,
    teams: Sequence[Mapping],
    pool: Sequence[str],
    team_size: int,
    conflicts: Iterable[tuple[str, str]] = (),
    amendments: Sequence[Mapping] = (),
) -> Matching:
    """The matching state after the drawn teams and the given amendments (already checked)."""
    matching = new_matching(seed_bytes, pool, team_size, conflicts)
    for team in teams:
        members = list(team["inspectors"])
        matching.teams[team["uscc"]] = members
        for credential in members:
            matching.shift(credential, 1)
    for amendment in amendments:
        matching.apply(amendment)
    return matching


def replace_inspector(
    seed_bytes: bytes,
    teams: Sequence[Mapping],
    pool: Sequence[str],
    team_size: int,
    conflicts: Iterable[tuple[str, str]],
    amendments: Sequence[Mapping],
    uscc: str,
    out: str,
) -> str:
    """The incoming inspector for `out` on u's team, after the drawn teams and amendments (§3.5)."""
    matching = matching_from_teams(seed_bytes, teams, pool, team_size, conflicts, amendments)
    return matching.replacement_for(uscc, out)


def current_teams(teams: Sequence[Mapping], amendments: Sequence[Mapping] = ()) -> list[dict]:
    """The drawn teams with every amendment applied, in §4's shape (rank order)."""
    result = {t["uscc"]: list(t["inspectors"]) for t in teams}
    for amendment in amendments:
        kind = amendment.get("kind")
        if kind == REPLACEMENT:
            team = result[amendment["uscc"]]
            team[team.index(amendment["out"])] = amendment["in"]
        elif kind == SWAP:
            team, other = result[amendment["uscc"]], result[amendment["with_uscc"]]
            team[team.index(amendment["out"])] = amendment["in"]
            other[other.index(amendment["in"])] = amendment["out"]
        elif kind == ALTERNATE:
            del result[amendment["uscc"]]
            result[amendment["in"]] = list(amendment["inspectors"])
    return [{"uscc": u, "inspectors": team} for u, team in result.items()]


def used_alternates(amendments: Sequence[Mapping]) -> list[str]:
    """The alternates already brought in, in the order used."""
    return [a["in"] for a in amendments if a.get("kind") == ALTERNATE]


def next_alternate(alternates: Sequence[str], amendments: Sequence[Mapping]) -> str:
    """The first alternate (rank order) not used yet (§2.4); NoAlternateLeft if none."""
    used = set(used_alternates(amendments))
    for uscc in alternates:
        if uscc not in used:
            return uscc
    raise NoAlternateLeft("every alternate is already in use / 备选对象已全部使用")


def plan_swap(matching: Matching, uscc: str, out: str) -> tuple[str, str]:
    """(v, B) for a recusing `out` on u, without changing `matching`."""
    return matching.swap_partner(uscc, out)


def plan_withdrawal(matching: Matching, out: str) -> list[tuple[str, str]]:
    """[(u, incoming), ...]: the replacements of a withdrawing `out`, in rank order.

    Applies the withdrawal and the replacements to `matching` (pass a fresh one to preview)."""
    plan = []
    for uscc in matching.withdraw(out):
        incoming = matching.replacement_for(uscc, out)
        matching.replace(uscc, out, incoming)
        plan.append((uscc, incoming))
    return plan


def plan_alternate(
    matching: Matching, alternates: Sequence[str], amendments: Sequence[Mapping], uscc: str
) -> tuple[str, list[str]]:
    """(a, team): the next unused alternate and its team by §3.3 once u's team is released.

    Applies the release and the assignment to `matching` (pass a fresh one to preview)."""
    incoming = next_alternate(alternates, amendments)
    matching.release(uscc)
    return incoming, matching.assign(incoming)


# --- §4 the bundle -----------------------------------------------------------------------------


def _timestamp(value: str | datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def randomness_commit_reveal(
    commitment_hex: str, secret: bytes | None = None, witness: str | None = None
) -> dict:
    """§4's randomness object for commit-reveal: S and W only once drawn (never at announcement)."""
    if (secret is None) != (witness is None):
        raise DrawError("the secret is revealed together with the witness input, at the draw")
    if secret is not None and commitment(secret) != commitment_hex:
        raise DrawError("the secret does not match the published commitment")
    return {
        "source": COMMIT_REVEAL,
        "commitment": commitment_hex,
        "secret": secret.hex() if secret is not None else None,
        "witness_input": normalise_witness(witness) if witness is not None else None,
    }


def randomness_beacon(beacon: str, round_: int, randomness: bytes, signature: bytes) -> dict:
    """§4's randomness object for a public beacon round."""
    return {
        "source": BEACON,
        "beacon": beacon,
        "round": round_,
        "randomness": randomness.hex(),
        "signature": signature.hex(),
    }


def amendment(
    uscc: str, out: str, incoming: str, reason: str, approved_by: str, at: str | datetime
) -> dict:
    """A replacement amendment in §4's shape."""
    return {
        "kind": REPLACEMENT,
        "uscc": uscc,
        "out": out,
        "in": incoming,
        "reason": reason,
        "approved_by": approved_by,
        "at": _timestamp(at),
    }


def swap_amendment(
    uscc: str,
    out: str,
    with_uscc: str,
    incoming: str,
    reason: str,
    approved_by: str,
    at: str | datetime,
) -> dict:
    """A swap amendment (extension kind, see the module docstring)."""
    return {
        "kind": SWAP,
        "uscc": uscc,
        "out": out,
        "with_uscc": with_uscc,
        "in": incoming,
        "reason": reason,
        "approved_by": approved_by,
        "at": _timestamp(at),
    }


def withdrawal_amendment(out: str, reason: str, approved_by: str, at: str | datetime) -> dict:
    """A withdrawal amendment (extension kind); replacements of `out` follow it."""
    return {
        "kind": WITHDRAWAL,
        "out": out,
        "reason": reason,
        "approved_by": approved_by,
        "at": _timestamp(at),
    }


def alternate_amendment(
    uscc: str,
    incoming: str,
    inspectors: Sequence[str],
    reason: str,
    approved_by: str,
    at: str | datetime,
) -> dict:
    """An alternate amendment (extension kind): `incoming` replaces the subject u with a team."""
    return {
        "kind": ALTERNATE,
        "uscc": uscc,
        "in": incoming,
        "reason": reason,
        "inspectors": list(inspectors),
        "approved_by": approved_by,
        "at": _timestamp(at),
    }


def build_bundle(
    *,
    draw_id: str,
    task_number: str,
    task_name: str,
    announced_at: str | datetime,
    drawn_at: str | datetime | None,
    filters: str,
    exclusions: str,
    ratio: str | None,
    k: int,
    m: int,
    members: Sequence[str],
    root: str,
    randomness: Mapping,
    seed_hex: str | None,
    selected: Sequence[tuple[str, str]],
    alternates: Sequence[tuple[str, str]],
    pool_root_hex: str,
    team_size: int,
    teams: Sequence[Mapping],
    pool: Sequence[str] | None = None,
    amendments: Sequence[Mapping] = (),
    conflicts: Iterable[tuple[str, str]] | None = None,
) -> dict:
    """The bundle exactly in §4's JSON shape; `pool` and `conflicts` only when given."""
    matching: dict = {"pool_root": pool_root_hex, "team_size": team_size}
    if pool is not None:
        matching["pool"] = list(pool)
    matching["teams"] = [{"uscc": t["uscc"], "inspectors": list(t["inspectors"])} for t in teams]
    bundle = {
        "protocol": PROTOCOL,
        "draw_id": str(draw_id),
        "task": {"number": task_number, "name": task_name},
        "announced_at": _timestamp(announced_at),
        "drawn_at": _timestamp(drawn_at),
        "rules": {"filters": filters, "exclusions": exclusions, "ratio": ratio, "k": k, "m": m},
        "population": {"n": len(members), "root": root, "members": list(members)},
        "randomness": dict(randomness),
        "seed": seed_hex,
        "selected": [{"uscc": u, "rank": r} for u, r in selected],
        "alternates": [{"uscc": u, "rank": r} for u, r in alternates],
        "matching": matching,
        "amendments": [dict(a) for a in amendments],
    }
    if conflicts is not None:
        # The internal (auditors') bundle only: conflicts are personal data.
        bundle["conflicts"] = [
            {"uscc": u, "inspector": c} for u, c in sorted(set(map(tuple, conflicts)))
        ]
    return bundle


@dataclass
class DrawResult:
    """Everything §2–§3 derive from the announcement and the entropy."""

    root: str
    seed: bytes
    selected: list[tuple[str, str]]
    alternates: list[tuple[str, str]]
    teams: list[dict]


def compute_draw(
    *,
    draw_id: str,
    members: Sequence[str],
    k: int,
    m: int,
    entropy: bytes,
    pool: Sequence[str],
    team_size: int,
    conflicts: Iterable[tuple[str, str]] = (),
    root: str | None = None,
) -> DrawResult:
    """Run §1.2 and §2–§3 on a canonical population: root, seed, selection, alternates, teams.

    `root`: the population root already computed (and published) at the announcement from these
    very members; the caller vouches for it, and the verifier recomputes it anyway.
    """
    if root is None:
        root = population_root(members)
    seed_bytes = seed(str(draw_id), root, entropy)
    selected, alternates = draw_objects(seed_bytes, members, k, m)
    teams = match_teams(seed_bytes, [u for u, _ in selected], pool, team_size, conflicts)
    return DrawResult(root, seed_bytes, selected, alternates, teams)
