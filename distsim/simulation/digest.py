"""The spike digest: the SHA-256 of all spikes as (step, gid) pairs, sorted by step then gid,
packed as little-endian int64 (DESIGN.md: equal digests mean identical spike trains, on any
machine, rank count, backend and restart)."""

import hashlib

import numpy as np


def packed_spikes(steps, gids):
    """The spikes as (step, gid) pairs sorted by step then gid, as little-endian int64 bytes."""
    pairs = np.empty((len(steps), 2), dtype="<i8")
    pairs[:, 0] = steps
    pairs[:, 1] = gids
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))].tobytes()


def spike_digest(steps, gids):
    """SHA-256 (hex) of the spikes as (step, gid) pairs, sorted, packed as little-endian int64."""
    return hashlib.sha256(packed_spikes(steps, gids)).hexdigest()
