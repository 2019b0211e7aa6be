"""The verifier replays every amendment kind: any altered field is named; public bundles are
checked for structure."""

from __future__ import annotations

import copy

import pytest

from server.draws import dsr, verify
from tests.draws.support import drawn_bundle, run_verifier

AT = "2026-03-04T09:00:00+08:00"


def amended_bundle() -> dict:
    """The support bundle (2 replacements) plus a swap, a withdrawal and an alternate."""
    bundle = drawn_bundle()
    seed = bytes.fromhex(bundle["seed"])
    matching = bundle["matching"]
    conflicts = [(c["uscc"], c["inspector"]) for c in bundle["conflicts"]]
    amendments = bundle["amendments"]

    def state():
        return dsr.matching_from_teams(
            seed, matching["teams"], matching["pool"], matching["team_size"], conflicts, amendments
        )

    now = state()
    uscc = list(now.teams)[1]
    out = now.teams[uscc][1]
    other, partner = now.swap_partner(uscc, out)
    amendments.append(dsr.swap_amendment(uscc, out, other, partner, "回避", "王局长", AT))
    now = state()
    leaving = max(now.pool, key=lambda c: (now.loads[c], c))
    plan = dsr.plan_withdrawal(now, leaving)
    assert len(plan) >= 2
    amendments.append(dsr.withdrawal_amendment(leaving, "岗位变动", "王局长", AT))
    amendments += [dsr.amendment(u, leaving, c, "岗位变动", "王局长", AT) for u, c in plan]
    alternates = [a["uscc"] for a in bundle["alternates"]]
    for gone in list(state().teams)[2:4]:
        incoming, team = dsr.plan_alternate(state(), alternates, amendments, gone)
        amendments.append(dsr.alternate_amendment(gone, incoming, team, "已注销", "李科长", AT))
    # One more replacement after everything, on the first alternate's new team.
    now = state()
    first = alternates[0]
    incoming = now.replacement_for(first, now.teams[first][0])
    amendments.append(dsr.amendment(first, now.teams[first][0], incoming, "身体原因", "王局长", AT))
    return bundle


def public(bundle: dict) -> dict:
    result = copy.deepcopy(bundle)
    del result["conflicts"]
    return result


def index_of(bundle: dict, kind: str) -> int:
    return next(i for i, a in enumerate(bundle["amendments"]) if a["kind"] == kind)


def mismatches(bundle: dict) -> list[str]:
    return verify.verify(bundle).mismatches


def test_every_kind_replays_in_the_auditors_and_the_public_bundle(tmp_path):
    bundle = amended_bundle()
    kinds = {a["kind"] for a in bundle["amendments"]}
    assert kinds == set(dsr.AMENDMENT_KINDS)
    result = run_verifier(bundle, tmp_path)
    assert result.returncode == 0, result.stdout
    assert f"amendments={len(bundle['amendments'])}" in result.stdout
    result = run_verifier(public(bundle), tmp_path)
    assert result.returncode == 0, result.stdout
    assert "not recomputed" in result.stdout


def another(bundle: dict, value: str, *, uscc: bool = False) -> str:
    """A different valid-looking value: a pool member or a population member."""
    choices = bundle["population"]["members"] if uscc else bundle["matching"]["pool"]
    return next(v for v in choices if v != value)


# (kind, field, is it a subject) — every field the replay depends on.
FIELDS = [
    ("replacement", "in", False),
    ("replacement", "out", False),
    ("replacement", "uscc", True),
    ("swap", "in", False),
    ("swap", "with_uscc", True),
    ("swap", "out", False),
    ("swap", "uscc", True),
    ("withdrawal", "out", False),
    ("alternate", "in", True),
    ("alternate", "uscc", True),
]


@pytest.mark.parametrize(("kind", "field", "is_subject"), FIELDS)
def test_any_altered_amendment_field_is_named(kind, field, is_subject):
    bundle = amended_bundle()
    index = index_of(bundle, kind)
    amendment = bundle["amendments"][index]
    amendment[field] = another(bundle, amendment[field], uscc=is_subject)
    found = mismatches(bundle)
    assert found, (kind, field)
    # A different withdrawing inspector is itself possible: the replacements that follow it
    # (which name the one who really left) are where the bundle stops adding up.
    named = [index, index + 1] if kind == "withdrawal" else [index]
    assert any(f"amendments[{i}]" in line for i in named for line in found), found


@pytest.mark.parametrize("kind", dsr.AMENDMENT_KINDS)
@pytest.mark.parametrize("field", ["reason", "approved_by", "at"])
def test_empty_reason_approver_or_time_is_named(kind, field):
    bundle = amended_bundle()
    index = index_of(bundle, kind)
    bundle["amendments"][index][field] = ""
    assert any(f"amendments[{index}].{field}" in line for line in mismatches(bundle))
    bundle = public(bundle)
    assert any(f"amendments[{index}].{field}" in line for line in mismatches(bundle))


def test_an_altered_alternate_team_is_named():
    bundle = amended_bundle()
    index = index_of(bundle, "alternate")
    team = bundle["amendments"][index]["inspectors"]
    outsider = next(c for c in bundle["matching"]["pool"] if c not in team)
    team[0] = outsider
    assert any(f"amendments[{index}].inspectors" in line for line in mismatches(bundle))


def test_a_withdrawal_must_be_followed_by_its_replacements():
    bundle = amended_bundle()
    index = index_of(bundle, "withdrawal")
    del bundle["amendments"][index + 1]
    found = mismatches(bundle)
    assert any(f"amendments[{index + 1}]" in line and "withdrawal" in line for line in found)
    # A withdrawn inspector may not come back either.
    bundle = amended_bundle()
    leaving = bundle["amendments"][index]["out"]
    last = bundle["amendments"][-1]
    last["in"] = leaving
    assert any(f"amendments[{len(bundle['amendments']) - 1}].in" in x for x in mismatches(bundle))


def test_an_unknown_kind_is_named():
    bundle = amended_bundle()
    bundle["amendments"][0]["kind"] = "redraw"
    assert any("amendments[0].kind" in line for line in mismatches(bundle))


# ---- public bundles: structure only ---------------------------------------------------------


def test_public_alternate_must_be_the_first_unused_one():
    bundle = public(amended_bundle())
    index = index_of(bundle, "alternate")
    alternates = [a["uscc"] for a in bundle["alternates"]]
    bundle["amendments"][index]["in"] = alternates[-1]
    assert any(f"amendments[{index}].in" in line for line in mismatches(bundle))


def test_public_alternate_team_must_be_full_and_from_the_pool():
    bundle = public(amended_bundle())
    index = index_of(bundle, "alternate")
    bundle["amendments"][index]["inspectors"] = bundle["amendments"][index]["inspectors"][:1]
    assert any(f"amendments[{index}].inspectors" in line for line in mismatches(bundle))


def test_public_swap_partner_must_be_on_the_other_team():
    bundle = public(amended_bundle())
    index = index_of(bundle, "swap")
    swap = bundle["amendments"][index]
    teams = dsr.current_teams(bundle["matching"]["teams"], bundle["amendments"][:index])
    team_of = {t["uscc"]: t["inspectors"] for t in teams}
    stranger = next(c for c in bundle["matching"]["pool"] if c not in team_of[swap["with_uscc"]])
    swap["in"] = stranger
    assert any(f"amendments[{index}].in" in line for line in mismatches(bundle))


def test_public_replacement_may_not_bring_in_someone_already_on_the_team():
    bundle = public(amended_bundle())
    amendment = bundle["amendments"][0]
    teams = {t["uscc"]: t["inspectors"] for t in bundle["matching"]["teams"]}
    amendment["in"] = next(c for c in teams[amendment["uscc"]] if c != amendment["out"])
    assert any("amendments[0].in" in line for line in mismatches(bundle))


def test_public_drawn_teams_are_still_checked_against_the_selection():
    bundle = public(amended_bundle())
    bundle["matching"]["teams"][0]["inspectors"] = bundle["matching"]["teams"][0]["inspectors"][:1]
    assert any("matching.teams[0].inspectors" in line for line in mismatches(bundle))
