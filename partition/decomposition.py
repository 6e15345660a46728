"""Decomposition: which rank owns each gid, and its local index there.  Pure data."""

from dataclasses import dataclass, field

import numpy as np

from distsim.errors import PartitionError


@dataclass(frozen=True)
class Decomposition:
    """``rank_of[gid]`` is the rank that owns the gid.  A gid's local index is its position
    among the gids of its rank, in gid order.  ``name`` says which balancer made it.

    A hardware mapping also gives ``chip_of[gid]`` (chip id on the fabric; a chip belongs to
    one rank), ``core_of[gid]`` (core index within its chip) and ``hardware`` (a JSON-able
    dict: profile, fabric spec, neurons per core, limits checked and unchecked)."""

    n_ranks: int
    rank_of: np.ndarray
    name: str = "custom"
    _local_index: np.ndarray = field(default=None, repr=False, compare=False)
    chip_of: np.ndarray = field(default=None, repr=False, compare=False)
    core_of: np.ndarray = field(default=None, repr=False, compare=False)
    hardware: dict = field(default=None, compare=False)

    def __post_init__(self):
        rank_of = np.asarray(self.rank_of)
        if not isinstance(self.n_ranks, (int, np.integer)) or self.n_ranks < 1:
            raise PartitionError(
                f"Decomposition: n_ranks {self.n_ranks!r} is not a positive integer"
            )
        if rank_of.ndim != 1 or not np.issubdtype(rank_of.dtype, np.integer):
            raise PartitionError(
                "Decomposition: rank_of must be a 1-d integer array with one rank per gid"
            )
        bad = (rank_of < 0) | (rank_of >= self.n_ranks)
        if np.any(bad):
            gid = int(np.flatnonzero(bad)[0])
            raise PartitionError(
                f"Decomposition: gid {gid} is assigned to rank {int(rank_of[gid])}, outside "
                f"0..{self.n_ranks - 1}; assign every gid to an existing rank"
            )
        rank_of = rank_of.astype(np.int32)
        object.__setattr__(self, "rank_of", rank_of)
        counts = np.bincount(rank_of, minlength=self.n_ranks)
        order = np.argsort(rank_of, kind="stable")
        local = np.empty(rank_of.size, np.int64)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        local[order] = np.arange(rank_of.size) - np.repeat(starts, counts)
        object.__setattr__(self, "_local_index", local)
        if self.chip_of is not None or self.core_of is not None:
            self._check_chips()

    def _check_chips(self):
        if self.chip_of is None or self.core_of is None:
            raise PartitionError(
                "Decomposition: chip_of and core_of come together; give both or neither"
            )
        for name in ("chip_of", "core_of"):
            a = np.asarray(getattr(self, name))
            if (
                a.shape != self.rank_of.shape
                or not np.issubdtype(a.dtype, np.integer)
                or (a.size and a.min() < 0)
            ):
                raise PartitionError(
                    f"Decomposition: {name} must hold one non-negative "
                    f"integer per gid ({self.rank_of.size} gids)"
                )
            object.__setattr__(self, name, a.astype(np.int64))
        order = np.argsort(self.chip_of, kind="stable")
        chips, ranks = self.chip_of[order], self.rank_of[order]
        split = np.flatnonzero((chips[1:] == chips[:-1]) & (ranks[1:] != ranks[:-1]))
        if split.size:
            i = order[split[0] + 1]
            raise PartitionError(
                f"Decomposition: chip {int(self.chip_of[i])} is split over ranks "
                f"{int(ranks[split[0]])} and {int(self.rank_of[i])}; a chip belongs to one rank"
            )

    @classmethod
    def from_lists(cls, gid_lists, n_gids, name="custom"):
        """From one list of gids per rank; every gid in 0..n_gids-1 must appear exactly once."""
        rank_of = np.full(n_gids, -1, np.int64)
        for rank, gids in enumerate(gid_lists):
            gids = np.asarray(gids, dtype=np.int64)
            if gids.size and (gids.min() < 0 or gids.max() >= n_gids):
                bad = gids[(gids < 0) | (gids >= n_gids)][0]
                raise PartitionError(
                    f"Decomposition: rank {rank} lists gid {int(bad)}, outside 0..{n_gids - 1}"
                )
            taken = rank_of[gids] >= 0
            dup = np.unique(gids, return_counts=True)
            if np.any(taken) or np.any(dup[1] > 1):
                g = int(gids[taken][0]) if np.any(taken) else int(dup[0][dup[1] > 1][0])
                raise PartitionError(
                    f"Decomposition: gid {g} is assigned more than once (again on rank {rank}); "
                    f"assign every gid to exactly one rank"
                )
            rank_of[gids] = rank
        missing = np.flatnonzero(rank_of < 0)
        if missing.size:
            raise PartitionError(
                f"Decomposition: {missing.size} gids are assigned to no rank (first: gid "
                f"{int(missing[0])}); assign every gid to exactly one rank"
            )
        return cls(len(gid_lists), rank_of, name)

    @property
    def n_gids(self):
        return int(self.rank_of.size)

    def local_gids(self, rank):
        """Sorted int64 gids owned by ``rank``."""
        return np.flatnonzero(self.rank_of == rank).astype(np.int64)

    def local_index(self, gids):
        """Local index of each gid on its own rank."""
        return self._local_index[np.asarray(gids, dtype=np.int64)]

    def counts(self):
        return np.bincount(self.rank_of, minlength=self.n_ranks)

    def chips_of_rank(self, rank):
        """Sorted chip ids held by ``rank`` (hardware mappings only)."""
        return np.unique(self.chip_of[self.rank_of == rank])

    def to_dict(self):
        out = {
            "name": self.name,
            "n_ranks": int(self.n_ranks),
            "neurons_per_rank": self.counts().tolist(),
        }
        if self.chip_of is not None:
            out["chips_per_rank"] = [self.chips_of_rank(r).tolist() for r in range(self.n_ranks)]
            out["hardware"] = self.hardware
        return out
