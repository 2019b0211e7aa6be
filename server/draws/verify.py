"""Standalone DSR-v1 verifier: `python -m server.draws.verify BUNDLE.json`.

Recomputes every link of a draw bundle (protocol §5) with nothing but the Python standard
library: population root, k, commitment, seed, every rank, the selection and alternates, the pool
root and — in the auditors' bundle, which carries the conflicts — the teams and each amendment.
Prints `OK` and a summary (exit 0) or every mismatch, one per line (exit 1). Exit 2: the file
cannot be read or is not a JSON object. Also runs as a plain file next to dsr.py:
`python3 verify.py BUNDLE.json`.

Each link is checked against the bundle's own previous link (the seed from the stated root, the
ranks from the stated seed, …), so a mismatch names the field that was altered instead of
cascading; the bundle is valid only when every link holds.

Amendments are replayed in order. Besides the contract's "replacement" (§3.5), three extension
kinds of the same shape are known (defined in dsr.py's docstring): "swap" (a recusing inspector
trades objects with the first colleague by match(u, B) then rank), "withdrawal" (the inspector
leaves the task; one replacement per subject held follows, in rank order) and "alternate" (the
first unused alternate takes a subject's place with a team matched by §3.3 at current loads). In
the auditors' bundle every incoming inspector, partner, alternate and team is recomputed; in a
public bundle (no conflicts) each amendment is checked for structure only: a known kind with its
fields, applicable to the teams as they stand, the alternate being the first unused one, and every
team keeping team_size distinct members.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from typing import Any

if __package__:
    from . import dsr
else:  # run as a file (`python3 verify.py`, even with -I): dsr.py is its neighbour
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import dsr  # type: ignore[no-redef]

EXIT_OK, EXIT_MISMATCH, EXIT_INVALID = 0, 1, 2
_MISSING = object()


class BundleUnreadable(Exception):
    """The file cannot be read or is not a JSON object (exit 2)."""


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(missing 缺失)"
    return json.dumps(value, ensure_ascii=False)


def _hex32(value: Any) -> bytes | None:
    """Bytes of a 64-digit lowercase hex string, else None."""
    if isinstance(value, str) and len(value) == 64 and value == value.lower():
        try:
            return bytes.fromhex(value)
        except ValueError:
            return None
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Verifier:
    """Checks one bundle and collects every mismatch and note."""

    def __init__(self, bundle: dict) -> None:
        self.bundle = bundle
        self.mismatches: list[str] = []
        self.notes: list[str] = []

    def mismatch(self, where: str, expected: Any, found: Any) -> None:
        """Record one mismatch: field, expected value, value found."""
        self.mismatches.append(
            f"MISMATCH 不一致 {where}: expected 应为 {_show(expected)}; found 实为 {_show(found)}"
        )

    def get(self, path: str, check: Callable[[Any], bool], expected: str) -> Any:
        """The value at a dotted path if it passes `check`; otherwise record a mismatch, None."""
        value: Any = self.bundle
        for part in path.split("."):
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING or not check(value):
            self.mismatch(path, expected, value)
            return None
        return value

    # --- the links ---

    def run(self) -> None:
        """Check every link of the bundle."""
        if self.bundle.get("protocol") != dsr.PROTOCOL:
            self.mismatch("protocol", dsr.PROTOCOL, self.bundle.get("protocol", _MISSING))
        draw_id = self.get("draw_id", lambda v: isinstance(v, str) and v != "", "the draw id")
        members, root = self.population()
        k, m = self.rules(members)
        entropy = self.randomness()
        seed = self.seed(draw_id, root, entropy)
        selected = self.selection(seed, members, k, m)
        self.matching(seed, selected)

    def population(self) -> tuple[list[str] | None, str | None]:
        """Members are canonical, N is their count, root is their RFC 6962 MTH (§1.1–1.2)."""
        members = self.get(
            "population.members",
            lambda v: isinstance(v, list) and all(isinstance(u, str) for u in v),
            "a list of USCC strings",
        )
        stated = self.get("population.root", lambda v: _hex32(v) is not None, "64 hex digits")
        if members is None:
            return None, stated
        for index, uscc in enumerate(members):
            if len(uscc) != dsr.USCC_LENGTH or uscc != uscc.upper() or not uscc.isalnum():
                self.mismatch(f"population.members[{index}]", "an 18-character USCC", uscc)
        try:
            dsr.check_sorted_unique(members, "population.members")
        except dsr.DrawError as error:
            self.mismatch("population.members", "sorted ascending, no duplicates", str(error))
        n = self.bundle["population"].get("n", _MISSING)
        if n != len(members) or not _is_int(n):
            self.mismatch("population.n", len(members), n)
        computed = dsr.merkle_tree_hash([u.encode() for u in members]).hex()
        if stated is not None and stated != computed:
            self.mismatch("population.root", computed, stated)
        return members, stated or computed

    def rules(self, members: list[str] | None) -> tuple[int | None, int | None]:
        """k fits N and equals ceil(N × ratio) when a ratio is stated; m fits N − k (§1.3)."""
        k = self.get("rules.k", lambda v: _is_int(v) and v >= 0, "a non-negative integer")
        m = self.get("rules.m", lambda v: _is_int(v) and v >= 0, "a non-negative integer")
        if members is None or k is None or m is None:
            return k, m
        n = len(members)
        ratio = self.bundle["rules"].get("ratio")
        if ratio is not None:
            try:
                expected_k = dsr.sample_size(n, ratio=ratio)
            except dsr.DrawError as error:
                self.mismatch("rules.ratio", "a decimal string between 0 and 1", str(error))
            else:
                if k != expected_k:
                    self.mismatch("rules.k", expected_k, k)
        if k > n:
            self.mismatch("rules.k", f"at most N = {n}", k)
        elif m > n - k:
            self.mismatch("rules.m", f"at most N − k = {n - k}", m)
        return k, m

    def randomness(self) -> bytes | None:
        """The entropy of §2.1, after checking the commitment or the beacon value."""
        source = self.get(
            "randomness.source",
            lambda v: v in (dsr.COMMIT_REVEAL, dsr.BEACON),
            f"{dsr.COMMIT_REVEAL!r} or {dsr.BEACON!r}",
        )
        if source == dsr.COMMIT_REVEAL:
            return self.commit_reveal()
        if source == dsr.BEACON:
            return self.beacon()
        return None

    def commit_reveal(self) -> bytes | None:
        """commitment = SHA256(S); entropy = S || SHA256(utf8(NFC(W))) (§1.4, §2.1)."""
        randomness = self.bundle["randomness"]
        commitment = self.get("randomness.commitment", lambda v: _hex32(v) is not None, "hex")
        if randomness.get("secret") is None and self.bundle.get("seed") is None:
            self.notes.append("announced, not drawn yet / 已公告，尚未抽取")
            return None
        secret = self.get(
            "randomness.secret", lambda v: _hex32(v) is not None, "the 32-byte secret in hex"
        )
        witness = self.get(
            "randomness.witness_input", lambda v: isinstance(v, str), "the witness input text"
        )
        if secret is None or witness is None:
            return None
        secret_bytes = bytes.fromhex(secret)
        if commitment is not None and dsr.commitment(secret_bytes) != commitment:
            self.mismatch("randomness.commitment", dsr.commitment(secret_bytes), commitment)
        return dsr.entropy_commit_reveal(secret_bytes, witness)

    def beacon(self) -> bytes | None:
        """The beacon's 32 randomness bytes; drand's are SHA256(signature) (§2.1)."""
        name = self.get("randomness.beacon", lambda v: isinstance(v, str) and v, "beacon name")
        self.get("randomness.round", lambda v: _is_int(v) and v > 0, "a positive round number")
        if self.bundle["randomness"].get("randomness") is None and self.bundle.get("seed") is None:
            self.notes.append("announced, not drawn yet / 已公告，尚未抽取")
            return None
        value = self.get("randomness.randomness", lambda v: _hex32(v) is not None, "64 hex digits")
        signature = self.get(
            "randomness.signature",
            lambda v: isinstance(v, str) and _is_hex(v) and v != "",
            "the beacon signature in hex",
        )
        if value is None:
            return None
        if name and name.startswith("drand") and signature is not None:
            # drand publishes randomness = SHA-256(signature); the BLS signature itself needs
            # pairing arithmetic the standard library lacks: check it against drand's key.
            derived = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
            if derived != value:
                self.mismatch("randomness.randomness", derived, value)
            self.notes.append(
                "beacon signature not checked here; compare the round at drand"
                " / 信标签名请到 drand 官网核对该轮次"
            )
        return bytes.fromhex(value)

    def seed(self, draw_id: str | None, root: str | None, entropy: bytes | None) -> bytes | None:
        """seed = SHA256("DSR-v1" 0x00 draw_id 0x00 root 0x00 entropy) (§2.2)."""
        stated = self.bundle.get("seed", _MISSING)
        if entropy is None and stated is None:
            return None
        if _hex32(stated) is None:
            self.mismatch("seed", "64 hex digits", stated)
            stated = None
        if draw_id is None or root is None or entropy is None:
            return bytes.fromhex(stated) if stated else None
        computed = dsr.seed(draw_id, root, entropy)
        if stated is not None and stated != computed.hex():
            self.mismatch("seed", computed.hex(), stated)
        return bytes.fromhex(stated) if stated else computed

    def selection(
        self, seed: bytes | None, members: list[str] | None, k: int | None, m: int | None
    ) -> list[str] | None:
        """The first k by rank are selected, the next m are alternates (§2.3–2.4)."""
        selected = self._ranked_list("selected")
        alternates = self._ranked_list("alternates")
        if seed is None:
            if selected or alternates:
                self.mismatch("seed", "the seed the selection came from", None)
            return None
        if members is None or k is None or m is None or k + m > len(members):
            return [item["uscc"] for item in selected or []]
        expected_selected, expected_alternates = dsr.draw_objects(seed, members, k, m)
        for name, expected, found in (
            ("selected", expected_selected, selected),
            ("alternates", expected_alternates, alternates),
        ):
            if found is None:
                continue
            if len(found) != len(expected):
                self.mismatch(f"{name} (count 数量)", len(expected), len(found))
            for index, (uscc, rank) in enumerate(expected):
                item = found[index] if index < len(found) else {}
                if item.get("uscc", _MISSING) != uscc:
                    self.mismatch(f"{name}[{index}].uscc", uscc, item.get("uscc", _MISSING))
                if item.get("rank", _MISSING) != rank:
                    self.mismatch(f"{name}[{index}].rank", rank, item.get("rank", _MISSING))
            for index in range(len(expected), len(found)):
                self.mismatch(f"{name}[{index}]", _MISSING, found[index])
        return [item["uscc"] for item in selected or []]

    def _ranked_list(self, name: str) -> list[dict] | None:
        return self.get(
            name,
            lambda v: (
                isinstance(v, list)
                and all(isinstance(i, dict) and isinstance(i.get("uscc"), str) for i in v)
            ),
            'a list of {"uscc", "rank"}',
        )

    def matching(self, seed: bytes | None, selected: list[str] | None) -> None:
        """Pool root (§3.1), team size (§3.2), the teams (§3.3) and each amendment (§3.5)."""
        if self.bundle.get("matching") is None and not selected:
            return
        if not isinstance(self.bundle.get("matching"), dict):
            self.mismatch("matching", "an object", self.bundle.get("matching", _MISSING))
            return
        team_size = self.get("matching.team_size", lambda v: _is_int(v) and v >= 2, "≥ 2")
        stated_root = self.get("matching.pool_root", lambda v: _hex32(v) is not None, "hex")
        pool = self.bundle.get("matching", {}).get("pool")
        if pool is not None:
            if not (isinstance(pool, list) and all(isinstance(c, str) for c in pool)):
                self.mismatch("matching.pool", "a list of credential numbers", pool)
                pool = None
            else:
                try:
                    dsr.check_sorted_unique(pool, "matching.pool")
                except dsr.DrawError as error:
                    self.mismatch("matching.pool", "sorted ascending, no duplicates", str(error))
                computed = dsr.merkle_tree_hash([c.encode() for c in pool]).hex()
                if stated_root is not None and computed != stated_root:
                    self.mismatch("matching.pool_root", computed, stated_root)
        teams = self.get(
            "matching.teams",
            lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(t, dict)
                    and isinstance(t.get("uscc"), str)
                    and isinstance(t.get("inspectors"), list)
                    and all(isinstance(c, str) for c in t["inspectors"])
                    for t in v
                )
            ),
            'a list of {"uscc", "inspectors": [...]}',
        )
        amendments = self.get(
            "amendments",
            lambda v: isinstance(v, list) and all(isinstance(a, dict) for a in v),
            "a list of amendments",
        )
        if teams is None or team_size is None or selected is None or seed is None:
            return
        conflicts = self.conflicts()
        if pool is None or conflicts is None:
            self.team_structure(teams, selected, team_size, pool)
            self.notes.append(
                "teams not recomputed: the conflicts are in the auditors' bundle only"
                " / 未复算检查人员匹配：回避关系仅在内部核查包中"
            )
            if amendments:
                self.replay(self.structural_state(teams, team_size, pool, amendments), amendments)
            return
        try:
            expected = dsr.match_teams(seed, selected, pool, team_size, conflicts)
        except dsr.DrawError as error:
            self.mismatch("matching.teams", "a team for every selected subject", str(error))
            return
        for index, team in enumerate(expected):
            found = teams[index] if index < len(teams) else {}
            if found.get("uscc", _MISSING) != team["uscc"]:
                self.mismatch(f"matching.teams[{index}].uscc", team["uscc"], found.get("uscc"))
            inspectors = found.get("inspectors", _MISSING)
            if inspectors is _MISSING or sorted(inspectors) != sorted(team["inspectors"]):
                self.mismatch(f"matching.teams[{index}].inspectors", team["inspectors"], inspectors)
        for index in range(len(expected), len(teams)):
            self.mismatch(f"matching.teams[{index}]", _MISSING, teams[index])
        state = dsr.matching_from_teams(seed, expected, pool, team_size, conflicts)
        self.replay(state, amendments or [], recompute=True)

    def conflicts(self) -> list[tuple[str, str]] | None:
        """The auditors' conflicts as (uscc, credential) pairs, or None in a public bundle."""
        if "conflicts" not in self.bundle:
            return None
        value = self.get(
            "conflicts",
            lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(c, dict)
                    and isinstance(c.get("uscc"), str)
                    and isinstance(c.get("inspector"), str)
                    for c in v
                )
            ),
            'a list of {"uscc", "inspector"}',
        )
        return None if value is None else [(c["uscc"], c["inspector"]) for c in value]

    def team_structure(
        self, teams: list[dict], selected: list[str], team_size: int, pool: list[str] | None
    ) -> None:
        """Without the conflicts: one team per selected subject, of team_size distinct members."""
        pool_set = set(pool) if pool is not None else None
        if [t["uscc"] for t in teams] != selected:
            self.mismatch("matching.teams[].uscc", selected, [t["uscc"] for t in teams])
        for index, team in enumerate(teams):
            members = team["inspectors"]
            if len(members) != team_size or len(set(members)) != len(members):
                self.mismatch(
                    f"matching.teams[{index}].inspectors",
                    f"{team_size} distinct inspectors",
                    members,
                )
            if pool_set is not None and not set(members) <= pool_set:
                self.mismatch(
                    f"matching.teams[{index}].inspectors", "members of matching.pool", members
                )

    def structural_state(
        self, teams: list[dict], team_size: int, pool: list[str] | None, amendments: list[dict]
    ) -> dsr.Matching | None:
        """The drawn teams as a matching without seed or conflicts: only who may go where."""
        if pool is None:  # unpublished pool: everyone the bundle names
            names = {c for t in teams for c in t["inspectors"]}
            names |= {a["in"] for a in amendments if isinstance(a.get("in"), str)}
            names |= {
                c for a in amendments for c in a.get("inspectors") or () if isinstance(c, str)
            }
            pool = list(names)
        state = dsr.Matching(b"", sorted(set(pool)), team_size, {})
        try:
            for team in teams:
                state.place(team["uscc"], team["inspectors"])
        except dsr.DrawError:
            return None  # team_structure has named the problem
        return state

    def replay(
        self, state: dsr.Matching | None, amendments: list[dict], *, recompute: bool = False
    ) -> None:
        """Apply each amendment in order; with `recompute`, check it is the one §3 gives."""
        if state is None:
            return
        alternates = [a.get("uscc") for a in self.bundle.get("alternates") or ()]
        used: list[str] = []
        owed: list[tuple[str, str]] = []  # (uscc, out) replacements a withdrawal still owes
        for index, amendment in enumerate(amendments):
            where = f"amendments[{index}]"
            kind = amendment.get("kind", _MISSING)
            if kind not in dsr.AMENDMENT_KINDS:
                self.mismatch(f"{where}.kind", " | ".join(dsr.AMENDMENT_KINDS), kind)
                continue
            for key in ("reason", "approved_by", "at"):
                if not isinstance(amendment.get(key), str) or not amendment[key]:
                    self.mismatch(f"{where}.{key}", "a non-empty text", amendment.get(key))
            if owed:
                uscc, out = owed.pop(0)
                found = (kind, amendment.get("uscc"), amendment.get("out"))
                if found != (dsr.REPLACEMENT, uscc, out):
                    self.mismatch(
                        where, f"the replacement of {out} on {uscc} (withdrawal)", list(found)
                    )
                    owed.clear()
            if kind == dsr.ALTERNATE:
                self._alternate(state, where, amendment, recompute, alternates, used)
            elif kind == dsr.WITHDRAWAL:
                owed = [(u, amendment["out"]) for u in self._withdrawal(state, where, amendment)]
            elif kind == dsr.SWAP:
                self._swap(state, where, amendment, recompute)
            else:
                self._replacement(state, where, amendment, recompute)
        if owed:
            self.mismatch(
                f"amendments[{len(amendments)}]",
                f"the replacement of {owed[0][1]} on {owed[0][0]} (withdrawal)",
                _MISSING,
            )
        for uscc, team in state.teams.items():
            if len(team) != state.team_size or len(set(team)) != len(team):
                self.mismatch(
                    f"amendments (team of {uscc})", f"{state.team_size} distinct inspectors", team
                )

    def _texts(self, where: str, amendment: dict, keys: tuple[str, ...]) -> bool:
        if all(isinstance(amendment.get(k), str) for k in keys):
            return True
        self.mismatch(where, "texts " + ", ".join(f'"{k}"' for k in keys), amendment)
        return False

    def _member(self, state: dsr.Matching, where: str, uscc: str, who: str, key: str) -> bool:
        """u is matched and `who` is on its team; else name the field at fault."""
        if uscc not in state.teams:
            self.mismatch(f"{where}.{'with_uscc' if key == 'in' else 'uscc'}", "a team", uscc)
            return False
        if who not in state.teams[uscc]:
            self.mismatch(f"{where}.{key}", f"a member of the team of {uscc}", who)
            return False
        return True

    def _replacement(self, state: dsr.Matching, where: str, amendment: dict, recompute: bool):
        """§3.5: the next candidate of §3.3's order for u given the current loads."""
        if not self._texts(where, amendment, ("uscc", "out", "in")):
            return
        uscc, out, found = amendment["uscc"], amendment["out"], amendment["in"]
        if not self._member(state, where, uscc, out, "out"):
            return
        expected = None
        if recompute:
            try:
                expected = state.replacement_for(uscc, out)
            except dsr.DrawError as error:
                self.mismatch(f"{where}.in", "an eligible candidate", str(error))
                return
            if found != expected:
                self.mismatch(f"{where}.in", expected, found)
        # Continue from what the bundle says happened, so one bad amendment is named once.
        try:
            state.replace(uscc, out, found)
        except dsr.DrawError:
            if expected is None:
                self.mismatch(f"{where}.in", f"a pool member who may serve {uscc}", found)
                return
            state.replace(uscc, out, expected)

    def _swap(self, state: dsr.Matching, where: str, amendment: dict, recompute: bool):
        """A swap with the first inspector B of another team v by (match(u, B), v's rank)."""
        if not self._texts(where, amendment, ("uscc", "out", "with_uscc", "in")):
            return
        uscc, out = amendment["uscc"], amendment["out"]
        other, partner = amendment["with_uscc"], amendment["in"]
        if not self._member(state, where, uscc, out, "out"):
            return
        expected = None
        if recompute:
            try:
                expected = state.swap_partner(uscc, out)
            except dsr.DrawError as error:
                self.mismatch(where, "a swap partner", str(error))
                return
            if other != expected[0]:
                self.mismatch(f"{where}.with_uscc", expected[0], other)
            if partner != expected[1]:
                self.mismatch(f"{where}.in", expected[1], partner)
        elif not self._member(state, where, other, partner, "in"):
            return
        try:
            state.swap(uscc, out, other, partner)
        except dsr.DrawError:
            if expected is None:
                self.mismatch(f"{where}.in", "an inspector who may swap objects", partner)
                return
            state.swap(uscc, out, *expected)

    def _withdrawal(self, state: dsr.Matching, where: str, amendment: dict) -> list[str]:
        """The inspector leaves the task; returns the subjects to replace them on (rank order)."""
        if not self._texts(where, amendment, ("out",)):
            return []
        try:
            return state.withdraw(amendment["out"])
        except dsr.DrawError as error:
            self.mismatch(f"{where}.out", "a pool member still on the task", str(error))
            return []

    def _alternate(
        self,
        state: dsr.Matching,
        where: str,
        amendment: dict,
        recompute: bool,
        alternates: list,
        used: list[str],
    ) -> None:
        """The first unused alternate replaces u; its team is §3.3's at the current loads."""
        if not self._texts(where, amendment, ("uscc", "in")):
            return
        uscc, found = amendment["uscc"], amendment["in"]
        inspectors = amendment.get("inspectors", _MISSING)
        if not (isinstance(inspectors, list) and all(isinstance(c, str) for c in inspectors)):
            self.mismatch(f"{where}.inspectors", "a list of credential numbers", inspectors)
            return
        if uscc not in state.teams:
            self.mismatch(f"{where}.uscc", "a subject with a team", uscc)
            return
        try:
            incoming = dsr.next_alternate(
                alternates, [{"kind": dsr.ALTERNATE, "in": a} for a in used]
            )
        except dsr.NoAlternateLeft:
            self.mismatch(f"{where}.in", "an unused alternate", found)
            return
        if found != incoming:
            self.mismatch(f"{where}.in", incoming, found)
        used.append(incoming)
        state.release(uscc)
        if recompute:
            try:
                expected = state.best(incoming, state.team_size)
            except dsr.DrawError as error:
                self.mismatch(f"{where}.inspectors", "a full team", str(error))
                return
            if found == incoming and inspectors != expected:
                self.mismatch(f"{where}.inspectors", expected, inspectors)
            state.place(incoming, expected)
            return
        barred = state.barred(incoming)
        valid = (
            len(inspectors) == state.team_size
            and len(set(inspectors)) == len(inspectors)
            and all(c in state.in_pool and c not in barred for c in inspectors)
        )
        if not valid:
            self.mismatch(
                f"{where}.inspectors", f"{state.team_size} distinct pool members", inspectors
            )
            return
        state.place(incoming, inspectors)

    def summary(self) -> str:
        """One line describing what was verified."""
        population = self.bundle.get("population", {})
        rules = self.bundle.get("rules", {})
        teams = len(self.bundle.get("matching", {}).get("teams", []))
        amendments = len(self.bundle.get("amendments", []))
        return (
            f"OK 验证通过 DSR-v1 draw {self.bundle.get('draw_id')}: N={population.get('n')}"
            f" k={rules.get('k')} m={rules.get('m')} teams={teams} amendments={amendments}"
        )


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return value == value.lower()


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    # A second "seed" key would silently win in json.load: refuse ambiguous bundles.
    result: dict = {}
    for key, value in pairs:
        if key in result:
            raise BundleUnreadable(f"duplicate key 重复字段 {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise BundleUnreadable(f"not JSON 非标准 JSON 值: {name}")


def load(path: str) -> dict:
    """Read a bundle file; raise BundleUnreadable with a short bilingual reason."""
    try:
        with open(path, encoding="utf-8") as handle:
            bundle = json.load(
                handle, object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant
            )
    except OSError as error:
        raise BundleUnreadable(f"cannot read 无法读取 {path}: {error.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleUnreadable(f"invalid JSON 不是有效的 JSON ({path}): {error}") from None
    if not isinstance(bundle, dict):
        raise BundleUnreadable("a bundle is a JSON object 核查包应为 JSON 对象")
    return bundle


def verify(bundle: dict) -> Verifier:
    """Run every check on a parsed bundle."""
    verifier = Verifier(bundle)
    verifier.run()
    return verifier


def main(argv: list[str] | None = None) -> int:
    """Command line: print OK or every mismatch; exit 0, 1 (mismatch) or 2 (unreadable)."""
    args = sys.argv[1:] if argv is None else argv
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage 用法: python -m server.draws.verify BUNDLE.json", file=sys.stderr)
        return EXIT_INVALID
    try:
        bundle = load(args[0])
    except BundleUnreadable as error:
        print(f"ERROR 错误: {error}", file=sys.stderr)
        return EXIT_INVALID
    try:
        verifier = verify(bundle)
    except Exception as error:  # noqa: BLE001 - a malformed bundle must not end in a traceback
        print(f"ERROR 错误: malformed bundle 核查包结构无法解析: {error!r}", file=sys.stderr)
        return EXIT_INVALID
    for line in verifier.mismatches:
        print(line)
    if verifier.mismatches:
        print(f"FAILED 验证失败: {len(verifier.mismatches)} mismatch(es) 处不一致")
        return EXIT_MISMATCH
    print(verifier.summary())
    for note in verifier.notes:
        print(f"note 说明: {note}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
