"""Commitment, seed, ranks, selection and alternates (DSR-v1 §1.4, §2)."""

from __future__ import annotations

import hashlib
import random
import unicodedata

import pytest

from server.draws import dsr
from tests.draws.support import DRAW_ID, SECRET, WITNESS, population, reference_mth

MEMBERS = [
    "91371000000000019X", "91371000000000027Q", "91371000000000035K", "91371000000000043E",
    "913710000000000519", "9137100000000006X1", "913710000000000781", "91371000000000086U",
]  # fmt: skip
# Pinned once from the independent hashlib computation in the known-answer test below.
ROOT = "fe20e93d6bc2db8ed9234f518bf0bc038874f2e7de97ace4eb5d1d6ebae35622"
SEED = "0048aaec88f0f080e7970e561e225d06cab8dad6005f5c009b1565dcefb14ded"
ORDER = [
    "91371000000000043E", "913710000000000519", "91371000000000035K", "91371000000000027Q",
    "913710000000000781", "91371000000000019X", "9137100000000006X1", "91371000000000086U",
]  # fmt: skip


def test_known_answer_computed_directly_with_hashlib():
    # The contract's formulas written out byte by byte, independently of dsr.py.
    root = reference_mth([u.encode() for u in MEMBERS])
    witness = unicodedata.normalize("NFC", WITNESS).encode()
    entropy = SECRET + hashlib.sha256(witness).digest()
    seed = hashlib.sha256(b"DSR-v1\x00" + DRAW_ID.encode() + b"\x00" + root + b"\x00" + entropy)
    ranks = sorted((hashlib.sha256(seed.digest() + b"\x00" + u.encode()).digest(), u)
                   for u in MEMBERS)  # fmt: skip
    assert (root.hex(), seed.hexdigest(), [u for _, u in ranks]) == (ROOT, SEED, ORDER)

    got_seed = dsr.seed(
        DRAW_ID, dsr.population_root(MEMBERS), dsr.entropy_commit_reveal(SECRET, WITNESS)
    )
    selected, alternates = dsr.draw_objects(got_seed, MEMBERS, 3, 2)
    assert dsr.population_root(MEMBERS) == ROOT
    assert got_seed.hex() == SEED
    assert [u for u, _ in selected] == ORDER[:3]
    assert [u for u, _ in alternates] == ORDER[3:5]
    assert selected[0][1] == ranks[0][0].hex()


def test_commitment_is_the_sha256_of_the_secret():
    assert dsr.commitment(SECRET) == hashlib.sha256(SECRET).hexdigest()


def test_new_secret_is_32_fresh_random_bytes():
    first, second = dsr.new_secret(), dsr.new_secret()
    assert len(first) == 32 and first != second


def test_witness_input_is_nfc_normalised_before_hashing():
    decomposed = "王某 Cafe\u0301"  # "e" + combining acute accent
    composed = "王某 Caf\u00e9"
    assert dsr.entropy_commit_reveal(SECRET, decomposed) == dsr.entropy_commit_reveal(
        SECRET, composed
    )
    randomness = dsr.randomness_commit_reveal(dsr.commitment(SECRET), SECRET, decomposed)
    assert randomness["witness_input"] == composed


def test_the_announcement_publishes_the_commitment_and_not_the_secret():
    announced = dsr.randomness_commit_reveal(dsr.commitment(SECRET))
    assert announced == {
        "source": "commit-reveal",
        "commitment": hashlib.sha256(SECRET).hexdigest(),
        "secret": None,
        "witness_input": None,
    }


def test_a_secret_that_does_not_match_the_commitment_is_refused():
    with pytest.raises(dsr.DrawError):
        dsr.randomness_commit_reveal(dsr.commitment(SECRET), bytes(32), WITNESS)


def test_beacon_entropy_is_the_32_randomness_bytes():
    value = bytes(range(32, 64))
    assert dsr.entropy_beacon(value) == value
    with pytest.raises(dsr.DrawError):
        dsr.entropy_beacon(value[:31])


def test_seed_needs_a_32_byte_population_root():
    with pytest.raises(dsr.DrawError):
        dsr.seed(DRAW_ID, "abcd", b"x")


def test_rank_is_sha256_of_seed_zero_byte_and_uscc():
    seed = bytes.fromhex(SEED)
    assert (
        dsr.rank(seed, MEMBERS[0]) == hashlib.sha256(seed + b"\x00" + MEMBERS[0].encode()).digest()
    )


@pytest.mark.parametrize(("n", "k", "m"), [(50, 3, 5), (1_000, 50, 5), (20_000, 1_000, 100),
                                           (20_000, 0, 5), (30, 30, 0), (2_000, 1, 1)])  # fmt: skip
def test_selection_is_the_first_k_then_m_of_the_full_rank_order(n, k, m):
    members = population(n)
    seed = hashlib.sha256(f"seed-{n}-{k}".encode()).digest()
    full = sorted((dsr.rank(seed, u), u) for u in members)
    selected, alternates = dsr.draw_objects(seed, members, k, m)
    assert selected == [(u, r.hex()) for r, u in full[:k]]
    assert alternates == [(u, r.hex()) for r, u in full[k : k + m]]


def test_selection_does_not_depend_on_the_order_the_population_is_given_in():
    members = population(500)
    shuffled = members[:]
    random.Random(7).shuffle(shuffled)
    seed = bytes(32)
    assert dsr.draw_objects(seed, members, 25, 5) == dsr.draw_objects(seed, shuffled, 25, 5)


def test_draw_refuses_k_plus_m_larger_than_the_population():
    with pytest.raises(dsr.DrawError):
        dsr.draw_objects(bytes(32), population(10), 8, 3)


@pytest.mark.parametrize("change", ["member", "entropy", "draw_id"])
def test_changing_a_member_the_entropy_or_the_draw_id_changes_the_selection(change):
    members = population(400)
    entropy = dsr.entropy_commit_reveal(SECRET, WITNESS)
    draw_id = DRAW_ID
    before = dsr.draw_objects(
        dsr.seed(draw_id, dsr.population_root(members), entropy), members, 20, 5
    )
    if change == "member":
        # Replace an unselected member: only the root (hence the seed) can change the result.
        chosen = {u for u, _ in before[0] + before[1]}
        out = next(u for u in members if u not in chosen)
        members = dsr.canonical_population([u for u in members if u != out] + [population(401)[-1]])
    elif change == "entropy":
        entropy = dsr.entropy_commit_reveal(SECRET, WITNESS + " ")
    else:
        draw_id = draw_id[:-1] + "3"
    after = dsr.draw_objects(
        dsr.seed(draw_id, dsr.population_root(members), entropy), members, 20, 5
    )
    assert before[0] != after[0]
