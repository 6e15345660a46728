"""The spike digest: SHA-256 of sorted (step, gid) pairs as little-endian int64."""

import hashlib

import numpy as np

from distsim import spike_digest


def test_digest_is_order_independent_and_matches_definition():
    steps = np.array([3, 1, 3, 2], np.int64)
    gids = np.array([7, 9, 2, 2**40], np.int64)
    expected = hashlib.sha256(np.array([[1, 9], [2, 2**40], [3, 2], [3, 7]], "<i8").tobytes())
    assert spike_digest(steps, gids) == expected.hexdigest()
    perm = np.array([2, 0, 3, 1])
    assert spike_digest(steps[perm], gids[perm]) == expected.hexdigest()
    assert spike_digest(steps, gids + 1) != expected.hexdigest()
