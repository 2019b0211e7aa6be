"""RFC 6962 Merkle tree hash and the canonical population/pool lists (DSR-v1 §1.1–1.2, §3.1)."""

from __future__ import annotations

import hashlib

import pytest

from server.draws import dsr
from tests.draws.support import reference_mth

# The Certificate Transparency test vectors: leaf inputs and the root for every tree size 0..8.
# Source: transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes), the same values
# as google/trillian merkle/testonly/constants.go and google/certificate-transparency's
# cpp/merkletree tests. Each root was also recomputed with `reference_mth` below before pinning.
CT_LEAVES = [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]  # fmt: skip
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("size", range(len(CT_ROOTS)))
def test_merkle_tree_hash_matches_the_certificate_transparency_vectors(size):
    leaves = [bytes.fromhex(leaf) for leaf in CT_LEAVES[:size]]
    assert reference_mth(leaves).hex() == CT_ROOTS[size]
    assert dsr.merkle_tree_hash(leaves).hex() == CT_ROOTS[size]


def test_merkle_tree_hash_of_no_leaves_is_sha256_of_the_empty_string():
    assert dsr.merkle_tree_hash([]) == hashlib.sha256(b"").digest()
    assert dsr.population_root([]) == hashlib.sha256(b"").hexdigest()


def test_merkle_tree_hash_agrees_with_the_recursive_definition_for_every_size_up_to_300():
    leaves = [f"leaf-{i}".encode() for i in range(300)]
    for size in range(301):
        assert dsr.merkle_tree_hash(leaves[:size]) == reference_mth(leaves[:size]), size


def test_population_root_hashes_the_utf8_of_each_uscc_as_a_leaf():
    usccs = ["91371000MA3C1234X5", "91371000MA3C1235X6", "92371000MA3C1236X7"]
    assert dsr.population_root(usccs) == reference_mth([u.encode() for u in usccs]).hex()


@pytest.mark.parametrize(
    "usccs",
    [
        ["91371000MA3C1235X6", "91371000MA3C1234X5"],
        ["91371000MA3C1234X5", "91371000MA3C1234X5"],
    ],
    ids=["unsorted", "duplicate"],
)
def test_population_root_refuses_a_list_that_is_not_sorted_and_unique(usccs):
    with pytest.raises(dsr.DrawError):
        dsr.population_root(usccs)


def test_canonical_population_upper_cases_and_sorts_by_utf8_bytes():
    assert dsr.canonical_population(["92371000ma3c1236x7", " 91371000MA3C1234X5"]) == [
        "91371000MA3C1234X5",
        "92371000MA3C1236X7",
    ]


def test_canonical_population_rejects_duplicates_after_upper_casing():
    with pytest.raises(dsr.DrawError, match="duplicate"):
        dsr.canonical_population(["91371000MA3C1234X5", "91371000ma3c1234x5"])


@pytest.mark.parametrize(
    "bad",
    [
        "91371000MA3C1234X",
        "91371000MA3C1234X55",
        "91371000MA3C-234X5",
        # Two valid USCCs in one value: the one-string check must not split it into two.
        "91371000MA3C1234X5\n91371000MA3C1234X6",
    ],
)
def test_canonical_population_rejects_what_is_not_an_18_character_uscc(bad):
    with pytest.raises(dsr.DrawError):
        dsr.canonical_population(["92371000MA3C1236X7", bad])


def test_canonical_population_of_many_values_matches_the_value_by_value_rules():
    values = [f"9137{n:014d}".replace("0", "a", 1) for n in range(2000)]
    expected = sorted(v.strip().upper() for v in values)
    assert dsr.canonical_population(values) == expected
    assert dsr.canonical_population([]) == []


def test_canonical_pool_sorts_credentials_and_rejects_duplicates():
    assert dsr.canonical_pool(["鲁执002", "鲁执001"]) == ["鲁执001", "鲁执002"]
    with pytest.raises(dsr.DrawError):
        dsr.canonical_pool(["鲁执001", "鲁执001"])
