"""Decomposition: which rank owns each gid.  Pure data; balancers are functions returning it."""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Decomposition:
    """``rank_of[gid]`` is the rank that owns the gid (int32 per gid)."""

    n_ranks: int
    rank_of: np.ndarray

    def local_gids(self, rank):
        """Sorted int64 gids owned by ``rank``."""
        return np.flatnonzero(self.rank_of == rank).astype(np.int64)


def block(n_neurons, n_ranks):
    """Contiguous blocks of gids of (almost) equal size, rank 0 first."""
    bounds = np.linspace(0, n_neurons, n_ranks + 1).round().astype(np.int64)
    rank_of = np.repeat(np.arange(n_ranks, dtype=np.int32), np.diff(bounds))
    return Decomposition(n_ranks, rank_of)
