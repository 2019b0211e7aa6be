"""The shared record-hash vectors (tests/vectors/record_hashes.json) hold for the server.

The field app's unit tests (pwa/test/vectors.test.js) check the same file with its own RFC 8785
implementation, so the phone and the server agree on every record's hash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.integrity import record_hash

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "record_hashes.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_server_computes_each_shared_vector(vector):
    assert record_hash(vector["record"]) == vector["sha256"]


def test_the_vectors_cover_the_awkward_cases():
    names = {v["name"] for v in VECTORS}
    assert {"numbers", "escapes", "nested order and unicode", "record shape"} <= names
