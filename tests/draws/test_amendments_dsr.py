"""dsr.py's swap, withdrawal and alternate amendments: definitions and invariants, stdlib only."""

from __future__ import annotations

import contextlib
import random

import pytest

from server.draws import dsr
from tests.draws.support import pool, population

SEED = bytes.fromhex("ab" * 32)
TEAM = 2
AT = "2026-03-03T09:00:00+08:00"


def setting(n_subjects=12, n_pool=8, k=6, m=3, seed=SEED, conflicts=()):
    members = population(n_subjects)
    inspectors = pool(n_pool)
    selected, alternates = dsr.draw_objects(seed, members, k, m)
    selected = [u for u, _ in selected]
    alternates = [u for u, _ in alternates]
    teams = dsr.match_teams(seed, selected, inspectors, TEAM, conflicts)
    return selected, alternates, inspectors, teams


def state(teams, inspectors, conflicts=(), amendments=(), seed=SEED):
    return dsr.matching_from_teams(seed, teams, inspectors, TEAM, conflicts, amendments)


def check_invariants(matching: dsr.Matching, conflicts) -> None:
    """≥ 2 distinct on every team, no conflict, no withdrawn or removed member, loads right."""
    pairs = set(conflicts)
    counts: dict[str, int] = {}
    for uscc, team in matching.teams.items():
        assert len(team) == TEAM and len(set(team)) == TEAM, (uscc, team)
        for credential in team:
            assert (uscc, credential) not in pairs
            assert credential not in matching.withdrawn
            assert credential not in matching.removed.get(uscc, set())
            counts[credential] = counts.get(credential, 0) + 1
    for credential in matching.pool:
        assert matching.loads[credential] == counts.get(credential, 0)
    assert not set(matching.teams) & matching.released


def reference_partner(matching: dsr.Matching, uscc: str, out: str) -> tuple[str, str]:
    """The swap partner written literally from the definition in dsr's docstring."""
    candidates = []
    for position, (other, team) in enumerate(matching.teams.items()):
        if other == uscc:
            continue
        for partner in team:
            barred_from_u = (
                (uscc, partner) in {(u, c) for u, cs in matching.conflicts.items() for c in cs}
                or partner in matching.teams[uscc]
                or partner in matching.removed.get(uscc, set())
                or partner in matching.withdrawn
            )
            out_barred_from_v = (
                out in matching.conflicts.get(other, set())
                or out in team
                or out in matching.removed.get(other, set())
                or out in matching.withdrawn
            )
            if not barred_from_u and not out_barred_from_v:
                candidates.append(
                    (dsr.match_hash(matching.seed, uscc, partner), position, other, partner)
                )
    best = min(candidates)
    return best[2], best[3]


def test_the_swap_partner_is_the_documented_one_and_loads_do_not_change():
    selected, _, inspectors, teams = setting()
    conflicts = [(selected[1], teams[0]["inspectors"][1])]
    matching = state(teams, inspectors, conflicts)
    for team in teams:
        for out in team["inspectors"]:
            assert matching.swap_partner(team["uscc"], out) == reference_partner(
                matching, team["uscc"], out
            )
    uscc, out = teams[0]["uscc"], teams[0]["inspectors"][0]
    other, partner = matching.swap_partner(uscc, out)
    loads = dict(matching.loads)
    matching.swap(uscc, out, other, partner)
    assert matching.loads == loads
    assert partner in matching.teams[uscc] and out in matching.teams[other]
    assert out in matching.removed[uscc]
    check_invariants(matching, conflicts)


def test_a_swap_never_brings_back_the_recused_inspector_nor_crosses_a_conflict():
    selected, _, inspectors, teams = setting(n_pool=6)
    uscc, out = teams[0]["uscc"], teams[0]["inspectors"][0]
    matching = state(teams, inspectors)
    other, partner = matching.swap_partner(uscc, out)
    matching.swap(uscc, out, other, partner)
    # Swapping back would put `out` on u again: refused, and never proposed.
    with pytest.raises(dsr.DrawError):
        matching.swap(other, out, uscc, partner)
    with contextlib.suppress(dsr.NoSwapPartner):
        assert matching.swap_partner(other, out)[0] != uscc


def test_no_swap_partner_is_a_clear_error():
    # One subject only: nobody on another team.
    selected, _, inspectors, teams = setting(k=1, m=1)
    matching = state(teams, inspectors)
    with pytest.raises(dsr.NoSwapPartner):
        matching.swap_partner(teams[0]["uscc"], teams[0]["inspectors"][0])


def test_a_withdrawal_replaces_the_inspector_everywhere_in_rank_order():
    selected, _, inspectors, teams = setting(n_pool=5, k=8, m=2, n_subjects=12)
    matching = state(teams, inspectors)
    out = max(inspectors, key=lambda c: matching.loads[c])
    held = matching.held_by(out)
    assert len(held) >= 2
    plan = dsr.plan_withdrawal(matching, out)
    assert [u for u, _ in plan] == held == [u for u in selected if u in held]
    assert all(out not in team for team in matching.teams.values())
    assert matching.loads[out] == 0
    check_invariants(matching, [])
    # The same, one §3.5 replacement at a time from the recorded amendments.
    amendments = [dsr.withdrawal_amendment(out, "岗位变动", "王局长", AT)]
    for uscc, incoming in plan:
        expected = dsr.replace_inspector(SEED, teams, inspectors, TEAM, [], amendments, uscc, out)
        assert expected == incoming
        amendments.append(dsr.amendment(uscc, out, incoming, "岗位变动", "王局长", AT))
    replayed = state(teams, inspectors, amendments=amendments)
    assert replayed.teams == matching.teams
    assert dsr.current_teams(teams, amendments) == replayed.team_list()
    with pytest.raises(dsr.DrawError):
        replayed.withdraw(out)  # twice


def test_an_alternate_takes_the_first_unused_place_with_a_team_at_current_loads():
    selected, alternates, inspectors, teams = setting()
    matching = state(teams, inspectors)
    gone = selected[2]
    released = list(matching.teams[gone])
    before = dict(matching.loads)
    incoming, team = dsr.plan_alternate(matching, alternates, [], gone)
    assert incoming == alternates[0]
    assert gone not in matching.teams and gone in matching.released
    # Its team was released first: the new team is §3.3's choice after that.
    fresh = state(teams, inspectors)
    fresh.release(gone)
    assert team == fresh.best(incoming, TEAM)
    for credential in inspectors:
        delta = (credential in team) - (credential in released)
        assert matching.loads[credential] == before[credential] + delta
    check_invariants(matching, [])
    amendment = dsr.alternate_amendment(gone, incoming, team, "已注销", "李科长", AT)
    assert dsr.next_alternate(alternates, [amendment]) == alternates[1]
    with pytest.raises(dsr.DrawError):
        matching.assign(gone)  # a released subject never comes back


def test_alternates_run_out_with_a_clear_error_never_a_redraw():
    selected, alternates, inspectors, teams = setting(m=2)
    amendments = []
    for gone in selected[:2]:
        matching = state(teams, inspectors, amendments=amendments)
        incoming, team = dsr.plan_alternate(matching, alternates, amendments, gone)
        amendments.append(dsr.alternate_amendment(gone, incoming, team, "已停业", "李科长", AT))
    assert dsr.used_alternates(amendments) == alternates
    matching = state(teams, inspectors, amendments=amendments)
    with pytest.raises(dsr.NoAlternateLeft):
        dsr.plan_alternate(matching, alternates, amendments, selected[2])
    assert [t["uscc"] for t in dsr.current_teams(teams, amendments)] == selected[2:] + alternates


def test_replace_refuses_a_barred_incoming():
    selected, _, inspectors, teams = setting()
    conflicts = [(selected[0], inspectors[-1])]
    matching = state(teams, inspectors, conflicts)
    team = matching.teams[selected[0]]
    with pytest.raises(dsr.DrawError):
        matching.replace(selected[0], team[0], team[1])  # already on the team
    if inspectors[-1] not in team:
        with pytest.raises(dsr.DrawError):
            matching.replace(selected[0], team[0], inspectors[-1])  # registered conflict


@pytest.mark.parametrize("run", range(25))
def test_random_sequences_of_amendments_keep_every_invariant(run):
    rng = random.Random(run)
    seed = bytes([run]) * 32
    selected, alternates, inspectors, teams = setting(
        n_subjects=20, n_pool=rng.randint(6, 10), k=rng.randint(4, 8), m=4, seed=seed
    )
    conflicts = [(rng.choice(selected), rng.choice(inspectors)) for _ in range(3)]
    try:
        teams = dsr.match_teams(seed, selected, inspectors, TEAM, conflicts)
    except dsr.InsufficientInspectors:
        return
    amendments: list[dict] = []
    for _ in range(8):
        matching = state(teams, inspectors, conflicts, amendments, seed=seed)
        check_invariants(matching, conflicts)
        uscc = rng.choice(list(matching.teams))
        out = rng.choice(matching.teams[uscc])
        kind = rng.choice(dsr.AMENDMENT_KINDS)
        try:
            if kind == dsr.REPLACEMENT:
                incoming = matching.replacement_for(uscc, out)
                amendments.append(dsr.amendment(uscc, out, incoming, "身体原因", "甲", AT))
            elif kind == dsr.SWAP:
                other, partner = matching.swap_partner(uscc, out)
                amendments.append(dsr.swap_amendment(uscc, out, other, partner, "回避", "甲", AT))
            elif kind == dsr.WITHDRAWAL:
                plan = dsr.plan_withdrawal(matching, out)
                amendments.append(dsr.withdrawal_amendment(out, "岗位变动", "甲", AT))
                amendments += [dsr.amendment(u, out, c, "岗位变动", "甲", AT) for u, c in plan]
            else:
                incoming, team = dsr.plan_alternate(matching, alternates, amendments, uscc)
                amendments.append(dsr.alternate_amendment(uscc, incoming, team, "已注销", "乙", AT))
        except (dsr.NoSwapPartner, dsr.InsufficientInspectors, dsr.NoAlternateLeft):
            continue
    final = state(teams, inspectors, conflicts, amendments, seed=seed)
    check_invariants(final, conflicts)
    assert dsr.current_teams(teams, amendments) == final.team_list()
