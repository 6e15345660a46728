"""Routing tables: which ranks need the spikes of each local neuron, and link lookaheads.

After the build every rank knows the source gids of its synapses (the rows of its synapse
table).  One collective exchange of these source lists tells every rank, for each of its
neurons, which other ranks hold targets of it; a spike is then sent once to each of those
ranks, never to the others.  The lookahead of the link r -> s is the smallest delay
(steps) of the synapses from neurons of r onto neurons of s: s may compute step t once it
has every spike r emitted up to step t - lookahead.
"""

from dataclasses import dataclass

import numpy as np

from distsim.kernels import connect as ck

NO_LINK = np.iinfo(np.int64).max


@dataclass
class Routing:
    send_ptr: np.ndarray  # int64 [n_local + 1]: CSR local neuron -> destination ranks
    send_rank: np.ndarray  # int32
    in_lookahead: np.ndarray  # int64 [size]: lookahead of link r -> me (NO_LINK if none)
    out_ranks: np.ndarray  # ranks that need some of my spikes
    in_ranks: np.ndarray  # ranks whose spikes I need

    @property
    def send_flag(self):
        return np.diff(self.send_ptr) > 0


def row_delay_bounds(table):
    """Smallest and largest delay (steps) of each source row of a SynapseTable."""
    return ck.row_delay_bounds(table.seg_ptr, table.seg, table.syn_delay)


def build_routing(context, decomposition, source_gid, min_delay, local_gid):
    """Exchange source lists (one alltoallv) and build this rank's Routing: ``source_gid``
    (sorted) are the gids whose spikes this rank needs, ``min_delay`` (steps) the shortest
    delay of each onto its neurons."""
    me, size = context.rank, context.size
    owner = decomposition.rank_of[source_gid]
    remote = owner != me
    in_lookahead = np.full(size, NO_LINK, np.int64)
    if np.any(remote):
        np.minimum.at(in_lookahead, owner[remote], min_delay[remote])
    needed = [source_gid[remote & (owner == r)] for r in range(size)]
    wanted_by = context.alltoallv(needed)  # from each rank: my gids it needs
    pairs_local, pairs_rank = [], []
    for r, gids in enumerate(wanted_by):
        if r == me or gids.size == 0:
            continue
        pairs_local.append(decomposition.local_index(gids))
        pairs_rank.append(np.full(gids.size, r, np.int32))
    n_local = local_gid.size
    if pairs_local:
        loc = np.concatenate(pairs_local)
        rk = np.concatenate(pairs_rank)
        order = np.lexsort((rk, loc))
        loc, rk = loc[order], rk[order]
    else:
        loc, rk = np.empty(0, np.int64), np.empty(0, np.int32)
    send_ptr = np.concatenate(([0], np.cumsum(np.bincount(loc, minlength=n_local))))
    out_ranks = np.unique(rk)
    in_ranks = np.flatnonzero(in_lookahead != NO_LINK)
    return Routing(send_ptr.astype(np.int64), rk, in_lookahead, out_ranks, in_ranks)


@dataclass(frozen=True)
class RankGrid:
    """Ranks on a 2D fabric for the routed exchange: ``dims`` (rows, columns; row-major
    ranks), a torus when ``periodic``, and the latency of one hop in ms."""

    dims: tuple
    periodic: bool = False
    hop_ms: float = 0.0


def rank_grid(size):
    """Near-square 2D grid (rows, columns) of ``size`` ranks, rows <= columns."""
    rows = int(np.sqrt(size))
    while size % rows:
        rows -= 1
    return rows, size // rows


def fabric_rank_grid(hardware, size, link_ms=0.0):
    """RankGrid for the routed exchange.  With a hardware mapping whose ranks hold
    rectangular blocks of chips (``hardware["rank_grid"]``, partition/hardware_mapping.py),
    its grid, periodic when the fabric wraps; otherwise a near-square mesh.  ``link_ms``
    is the latency of one chip-to-chip link; a rank hop crosses a block, up to max(chips
    per rank) links."""
    grid = (hardware or {}).get("rank_grid")
    if grid is None:
        return RankGrid(rank_grid(size), False, link_ms)
    return RankGrid(
        tuple(grid["dims"]), bool(grid["periodic"]), link_ms * max(grid["chips_per_rank"])
    )


def grid_neighbours(rank, dims, periodic):
    """The grid neighbours of ``rank`` (row-major ranks, as MPI's Cartesian topology without
    reordering): per dimension the lower then the upper one, -1 where there is none."""
    coords = np.unravel_index(rank, dims)
    out = []
    for d, n in enumerate(dims):
        for step in (-1, 1):
            c = list(coords)
            c[d] += step
            if periodic:
                c[d] %= n
            out.append(int(np.ravel_multi_index(c, dims)) if 0 <= c[d] < n else -1)
    return out


def grid_route(src, dst, dims, periodic):
    """Ranks visited from rank ``src`` to ``dst`` (src excluded, dst included),
    dimension-ordered as hardware/fabric.py routes chips: first along x (the column index),
    then along y (the row index); on a torus each dimension goes the shorter way round."""
    cur = list(np.unravel_index(src, dims))
    goal = list(np.unravel_index(dst, dims))
    path = []
    for d in reversed(range(len(dims))):
        n = dims[d]
        while cur[d] != goal[d]:
            step = 1 if goal[d] > cur[d] else -1
            if periodic and abs(goal[d] - cur[d]) > n // 2:
                step = -step
            cur[d] = (cur[d] + step) % n
            path.append(int(np.ravel_multi_index(cur, dims)))
    return path
