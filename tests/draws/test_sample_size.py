"""k and m in exact decimal arithmetic (DSR-v1 §1.3)."""

from __future__ import annotations

import pytest

from server.draws import dsr


@pytest.mark.parametrize(
    ("n", "ratio", "k"),
    [
        (230, "0.05", 12),  # 11.5 → 12
        (10, "0.1", 1),  # exactly 1: 10 × 0.1 in binary floating point is 1.0000000000000002…
        (100, "0.07", 7),  # 0.07 × 100 = 7.000000000000001 in floats; exactly 7 here
        (1_000_000, "0.05", 50_000),
        (3, "0.3333333333333333333333333333", 1),
        (20, "0.05", 1),
        (21, "0.05", 2),
        (0, "0.05", 0),
        (7, "1", 7),
        (7, "0", 0),
        (10**15, "0.000000000000001", 1),
    ],
)
def test_sample_size_is_the_exact_ceiling_of_n_times_the_ratio(n, ratio, k):
    assert dsr.sample_size(n, ratio=ratio) == k


def test_sample_size_count_is_capped_at_n():
    assert dsr.sample_size(230, count=12) == 12
    assert dsr.sample_size(8, count=12) == 8


@pytest.mark.parametrize("ratio", ["1.5", "-0.05", "abc", "NaN", "Infinity", ""])
def test_sample_size_rejects_a_ratio_outside_0_to_1(ratio):
    with pytest.raises(dsr.DrawError):
        dsr.sample_size(100, ratio=ratio)


def test_sample_size_refuses_a_float_ratio():
    with pytest.raises(dsr.DrawError):
        dsr.sample_size(100, ratio=0.05)


def test_sample_size_needs_exactly_one_of_count_and_ratio():
    with pytest.raises(dsr.DrawError):
        dsr.sample_size(100)
    with pytest.raises(dsr.DrawError):
        dsr.sample_size(100, count=5, ratio="0.05")


@pytest.mark.parametrize(
    ("n", "k", "m"),
    [(230, 12, 5), (1000, 50, 5), (1000, 51, 6), (10_000, 500, 50), (14, 12, 2), (12, 12, 0)],
)
def test_default_alternates_is_min_of_the_rest_and_max_5_or_a_tenth(n, k, m):
    assert dsr.default_alternates(n, k) == m
