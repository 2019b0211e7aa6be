"""Inspector matching and replacement (DSR-v1 §3.3, §3.5)."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest

from server.draws import dsr
from tests.draws.support import pool, population

SEED = hashlib.sha256(b"matching").digest()


def subjects(n: int) -> list[str]:
    """n selected USCCs in rank order."""
    selected, _ = dsr.draw_objects(SEED, population(max(n, 10)), n, 0)
    return [u for u, _ in selected]


def loads(teams: list[dict]) -> Counter:
    return Counter(c for team in teams for c in team["inspectors"])


def reference_teams(seed, selected, inspectors, team_size, conflicts):
    """§3.3 written literally: full sort of all candidates by (load, match) for every subject."""
    load = dict.fromkeys(inspectors, 0)
    teams = []
    for u in selected:
        candidates = [c for c in inspectors if (u, c) not in conflicts]
        prefix = seed + b"\x01" + u.encode() + b"\x00"
        key = {c: (load[c], hashlib.sha256(prefix + c.encode()).digest()) for c in candidates}
        team = sorted(candidates, key=key.__getitem__)[:team_size]
        for c in team:
            load[c] += 1
        teams.append({"uscc": u, "inspectors": team})
    return teams


def test_matching_follows_the_contract_written_literally():
    selected, inspectors = subjects(40), pool(11)
    conflicts = {(selected[i], inspectors[i % 11]) for i in range(0, 40, 3)}
    assert dsr.match_teams(SEED, selected, inspectors, 3, conflicts) == reference_teams(
        SEED, selected, inspectors, 3, conflicts
    )


def test_every_team_has_team_size_distinct_inspectors_from_the_pool():
    selected, inspectors = subjects(30), pool(7)
    teams = dsr.match_teams(SEED, selected, inspectors, 3)
    assert [t["uscc"] for t in teams] == selected
    for team in teams:
        assert len(set(team["inspectors"])) == 3
        assert set(team["inspectors"]) <= set(inspectors)


def test_nobody_is_matched_to_a_subject_they_have_a_conflict_with():
    selected, inspectors = subjects(25), pool(6)
    conflicts = {(u, c) for u in selected[:10] for c in inspectors[:3]}
    teams = dsr.match_teams(SEED, selected, inspectors, 2, conflicts)
    for team in teams:
        assert not {(team["uscc"], c) for c in team["inspectors"]} & conflicts


def test_loads_differ_by_at_most_one_without_conflicts():
    for n, pool_size, team_size in [(50, 7, 2), (123, 10, 3), (17, 40, 2), (200, 9, 4)]:
        teams = dsr.match_teams(SEED, subjects(n), pool(pool_size), team_size)
        counts = [loads(teams)[c] for c in pool(pool_size)]
        assert max(counts) - min(counts) <= 1, (n, pool_size, team_size)


def test_matching_is_deterministic_and_depends_on_the_seed():
    selected, inspectors = subjects(20), pool(8)
    assert dsr.match_teams(SEED, selected, inspectors, 2) == dsr.match_teams(
        SEED, selected, inspectors, 2
    )
    other = hashlib.sha256(b"other").digest()
    assert dsr.match_teams(other, selected, inspectors, 2) != dsr.match_teams(
        SEED, selected, inspectors, 2
    )


def test_too_few_candidates_for_a_subject_raises_insufficient_inspectors():
    selected, inspectors = subjects(3), pool(3)
    conflicts = {(selected[1], inspectors[0]), (selected[1], inspectors[2])}
    with pytest.raises(dsr.InsufficientInspectors) as raised:
        dsr.match_teams(SEED, selected, inspectors, 2, conflicts)
    assert (raised.value.uscc, raised.value.available) == (selected[1], 1)


def test_team_size_below_two_is_refused():
    with pytest.raises(dsr.DrawError):
        dsr.match_teams(SEED, subjects(3), pool(4), 1)


def test_replacement_takes_the_next_candidate_given_current_loads():
    selected, inspectors = subjects(12), pool(6)
    conflicts = {(selected[0], inspectors[5])}
    teams = dsr.match_teams(SEED, selected, inspectors, 2, conflicts)
    uscc, out = teams[0]["uscc"], teams[0]["inspectors"][0]
    incoming = dsr.replace_inspector(SEED, teams, inspectors, 2, conflicts, [], uscc, out)
    # By hand: candidates exclude the conflict, the team and `out`; loads are the current ones
    # with `out` no longer holding u; order by (load, match).
    current = loads(teams)
    current[out] -= 1
    candidates = [c for c in inspectors if c not in teams[0]["inspectors"] and c != inspectors[5]]
    expected = min(candidates, key=lambda c: (current[c], dsr.match_hash(SEED, uscc, c)))
    assert incoming == expected


def test_an_inspector_replaced_out_of_a_subject_never_comes_back_to_it():
    selected, inspectors = subjects(4), pool(5)
    teams = dsr.match_teams(SEED, selected, inspectors, 2)
    uscc = teams[0]["uscc"]
    amendments: list[dict] = []
    gone = []
    # Replace the first member three times: each newcomer is someone not replaced before.
    for _ in range(3):
        team = dsr.current_teams(teams, amendments)[0]["inspectors"]
        out = team[0]
        incoming = dsr.replace_inspector(SEED, teams, inspectors, 2, [], amendments, uscc, out)
        gone.append(out)
        assert incoming not in gone and incoming not in team
        amendments.append(dsr.amendment(uscc, out, incoming, "回避", "leader1", "2026-03-03"))
    final = dsr.current_teams(teams, amendments)[0]["inspectors"]
    assert len(set(final)) == 2 and not set(final) & set(gone)


def test_replacement_raises_when_nobody_is_left():
    selected, inspectors = subjects(1), pool(2)
    teams = dsr.match_teams(SEED, selected, inspectors, 2)
    with pytest.raises(dsr.InsufficientInspectors):
        dsr.replace_inspector(SEED, teams, inspectors, 2, [], [], selected[0], inspectors[0])


def test_replacing_someone_not_on_the_team_is_refused():
    selected, inspectors = subjects(2), pool(6)
    teams = dsr.match_teams(SEED, selected, inspectors, 2)
    stranger = next(c for c in inspectors if c not in teams[0]["inspectors"])
    with pytest.raises(dsr.DrawError):
        dsr.replace_inspector(SEED, teams, inspectors, 2, [], [], selected[0], stranger)


def test_current_teams_applies_replacements_in_place():
    teams = [{"uscc": "A", "inspectors": ["c1", "c2"]}]
    amendments = [dsr.amendment("A", "c1", "c3", "健康原因", "leader1", "2026-03-03")]
    assert dsr.current_teams(teams, amendments) == [{"uscc": "A", "inspectors": ["c3", "c2"]}]
    assert teams == [{"uscc": "A", "inspectors": ["c1", "c2"]}]
