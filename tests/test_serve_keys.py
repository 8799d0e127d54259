"""API keys in the warehouse and in the serving folder's keys.json (the service itself: test_serve_api.py)."""

from __future__ import annotations

import hashlib
import json

import pytest

from retention import warehouse
from retention.errors import DataError
from retention.serve import KEYS, keys, serving_folder


def test_create_list_revoke_and_verify(sample_copy):
    with warehouse.session(sample_copy, write=True) as con:
        first_id, first = keys.create(con, sample_copy, " storefront ")
        second_id, second = keys.create(con, sample_copy, "support")
        listed = keys.listed(con)
    assert first != second and len(first) >= 43
    assert listed["name"].tolist() == ["storefront", "support"]
    assert listed["prefix"].tolist() == [first[:8], second[:8]]
    assert list(listed.columns) == keys.LISTED_COLUMNS
    on_disk = json.loads((serving_folder(sample_copy) / KEYS).read_text())
    assert first not in json.dumps(on_disk)
    record = next(entry for entry in on_disk if entry["key_id"] == first_id)
    assert record["key_hash"] == hashlib.sha256((record["salt"] + first).encode()).hexdigest()

    ring = keys.KeyRing(serving_folder(sample_copy))
    assert ring.verify(first).key_id == first_id
    assert ring.verify(second).key_id == second_id
    assert ring.verify(first + "x") is None
    with warehouse.session(sample_copy, write=True) as con:
        assert keys.revoke(con, sample_copy, first_id) == "storefront"
        with pytest.raises(DataError, match="no valid key has the id"):
            keys.revoke(con, sample_copy, first_id)
        with pytest.raises(DataError, match="no valid key has the id 99"):
            keys.revoke(con, sample_copy, 99)
    assert ring.verify(first) is None  # keys.json changed: read again
    assert ring.verify(second).key_id == second_id


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_key_needs_a_name(sample_copy, name):
    with warehouse.session(sample_copy, write=True) as con, pytest.raises(DataError, match="name"):
        keys.create(con, sample_copy, name)
