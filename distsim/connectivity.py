"""Generate the incoming synapses of the local neurons and store them source-indexed.

Per projection the local targets' sources are drawn from keyed streams (see kernels.connect),
then weights and delays from streams keyed by (projection, target gid) with the synapse's
position among that target's incoming synapses of the projection as counter.  Hence the
network is the same for any number of ranks.

The table is a CSR over source rows (every gid with at least one local target), each row a
list of segments, one per projection:

    seg_ptr[row] .. seg_ptr[row+1]   segments of the row
    seg_start[s] .. seg_start[s+1]   synapses of segment s (targets in syn_target, local index,
                                     narrowest unsigned type)
    seg_wq[s], seg_delay[s]          fixed-point weight and delay (steps) when homogeneous
    seg_wofs[s], seg_dofs[s]         else offsets into syn_weight (float32), syn_delay (uint8/16)
"""
from dataclasses import dataclass

import numpy as np

from . import arrays
from .distributions import is_distribution
from .errors import DelayError, SimulationError
from .kernels import connect as ck
from .kernels.engine import FIXED_BITS, to_fixed
from .rng import CONNECT, DELAY, WEIGHT, make_key, stream_id
from .rules import (AllToAll, FixedIndegree, FixedOutdegree, FixedTotalNumber, OneToOne,
                    PairwiseBernoulli)


@dataclass
class SynapseTable:
    row_gid: np.ndarray      # int64, sorted: gid of each source row
    seg_ptr: np.ndarray      # int64 [n_rows + 1]
    seg_start: np.ndarray    # int64 [n_seg + 1]
    seg_proj: np.ndarray     # int32 projection index of each segment
    seg_wq: np.ndarray       # int64
    seg_wofs: np.ndarray     # int64, -1 = homogeneous weight
    seg_delay: np.ndarray    # int64 steps, 0 = per-synapse delay
    seg_dofs: np.ndarray     # int64
    syn_target: np.ndarray   # uint16 / uint32
    syn_weight: np.ndarray   # float32
    syn_delay: np.ndarray    # uint8 / uint16
    max_delay: int
    min_delay: int

    @property
    def n_synapses(self):
        return int(self.seg_start[-1])

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (self.row_gid, self.seg_ptr, self.seg_start, self.seg_proj,
                                      self.seg_wq, self.seg_wofs, self.seg_delay, self.seg_dofs,
                                      self.syn_target, self.syn_weight, self.syn_delay))


def _sources_of_local_targets(net, proj, tgt_local_offsets):
    """(source offsets, target offsets) of the projection's synapses onto the given targets."""
    src = net.populations[proj.source]
    tgt = net.populations[proj.target]
    rule, seed, sid = proj.rule, net.seed, stream_id(proj.name)
    tgt_gids = tgt.first_gid + tgt_local_offsets
    if isinstance(rule, (FixedOutdegree, FixedTotalNumber)):
        wanted = np.zeros(tgt.size, np.bool_)
        wanted[tgt_local_offsets] = True
    if isinstance(rule, FixedIndegree):
        keys = ck.keys_for(seed, CONNECT, sid, tgt_gids)
        return ck.fixed_indegree(keys, tgt_local_offsets, tgt.first_gid, src.first_gid, src.size,
                                 rule.indegree, rule.allow_autapses, rule.allow_multapses)
    if isinstance(rule, PairwiseBernoulli):
        keys = ck.keys_for(seed, CONNECT, sid, tgt_gids)
        return ck.pairwise_bernoulli(keys, tgt_local_offsets, tgt.first_gid, src.first_gid,
                                     src.size, float(rule.p), rule.allow_autapses)
    if isinstance(rule, FixedOutdegree):
        keys = ck.keys_for(seed, CONNECT, sid, src.gids)
        return ck.fixed_outdegree(keys, src.first_gid, src.size, tgt.first_gid, tgt.size,
                                  rule.outdegree, rule.allow_autapses, rule.allow_multapses, wanted)
    if isinstance(rule, FixedTotalNumber):
        key = np.uint64(make_key(seed, CONNECT, sid, 0))
        return ck.fixed_total_number(key, rule.N, src.first_gid, src.size, tgt.first_gid,
                                     tgt.size, rule.allow_autapses, rule.allow_multapses, wanted)
    if isinstance(rule, OneToOne):
        return tgt_local_offsets.copy(), tgt_local_offsets.copy()
    if isinstance(rule, AllToAll):
        s = np.tile(np.arange(src.size, dtype=np.int64), tgt_local_offsets.size)
        t = np.repeat(tgt_local_offsets, src.size)
        if not rule.allow_autapses and proj.source == proj.target:
            keep = s != t
            s, t = s[keep], t[keep]
        return s, t
    raise TypeError(rule)


def _draw_per_synapse(net, proj, value, purpose, tgt_gid_sorted):
    keys = ck.keys_for(net.seed, purpose, stream_id(proj.name), tgt_gid_sorted)
    counters = ck.positions_in_groups(tgt_gid_sorted)
    return value.draw(keys, counters)


def _delay_steps(net, proj, delays):
    steps = np.floor(np.asarray(delays, dtype=float) / net.dt + 0.5).astype(np.int64)
    if steps.size and steps.min() < 1:
        bad = np.asarray(delays)[steps < 1].flat[0]
        raise DelayError(
            f"Projection '{proj.name}': delay {bad} ms is shorter than one step (dt = {net.dt} "
            f"ms); use a delay >= {net.dt} ms or a smaller dt")
    return steps


def build_synapse_table(net, local_of_gid_by_pop):
    """Generate every projection onto the local neurons and assemble the SynapseTable.

    ``local_of_gid_by_pop[name]`` = (local offsets within the population (sorted int64),
    local neuron index of each)."""
    parts = []
    for proj in net.projections:
        offsets, local_idx = local_of_gid_by_pop[proj.target]
        if offsets.size == 0:
            continue
        src_off, tgt_off = _sources_of_local_targets(net, proj, offsets)
        src_gid = net.populations[proj.source].first_gid + src_off
        tgt_gid = net.populations[proj.target].first_gid + tgt_off
        # group by target (stable: keeps the rule's canonical order within a target)
        order = np.argsort(tgt_gid, kind="stable")
        src_gid, tgt_gid = src_gid[order], tgt_gid[order]
        tgt_local = local_idx[np.searchsorted(offsets, tgt_gid - net.populations[proj.target].first_gid)]
        if is_distribution(proj.weight):
            w = _draw_per_synapse(net, proj, proj.weight, WEIGHT, tgt_gid).astype(np.float32)
        else:
            w = float(proj.weight)
        if is_distribution(proj.delay):
            d = _delay_steps(net, proj, _draw_per_synapse(net, proj, proj.delay, DELAY, tgt_gid))
        else:
            d = int(_delay_steps(net, proj, [proj.delay])[0])
        parts.append((proj.index, src_gid, tgt_local, w, d))
    return _assemble(parts, sum(len(v[1]) for v in local_of_gid_by_pop.values()), net)


def _assemble(parts, n_local, net):
    n_proj = max(len(net.projections), 1)
    src_all = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.int64)
    row_gid = np.unique(src_all)
    proj_all = np.concatenate([np.full(p[1].size, p[0], np.int64) for p in parts]) if parts \
        else np.empty(0, np.int64)
    rows = np.searchsorted(row_gid, src_all)
    perm, offsets = ck.counting_sort(rows * n_proj + proj_all, row_gid.size * n_proj)
    # segments: non-empty (row, projection) keys
    counts = np.diff(offsets)
    seg_keys = np.flatnonzero(counts)
    seg_start = np.append(offsets[seg_keys], offsets[-1]).astype(np.int64)
    seg_row = seg_keys // n_proj
    seg_proj = (seg_keys % n_proj).astype(np.int32)
    seg_ptr = np.searchsorted(seg_row, np.arange(row_gid.size + 1)).astype(np.int64)

    tgt_all = np.concatenate([p[2] for p in parts]) if parts else np.empty(0, np.int64)
    tdtype = np.uint16 if n_local <= 2 ** 16 else np.uint32
    syn_target = tgt_all[perm].astype(tdtype)

    by_proj = {p[0]: p for p in parts}
    n_seg = seg_keys.size
    seg_wq = arrays.zeros(n_seg, np.int64)
    seg_wofs = np.full(n_seg, -1, np.int64)
    seg_delay = arrays.zeros(n_seg, np.int64)
    seg_dofs = np.full(n_seg, -1, np.int64)
    # per-synapse weights/delays, in table order, only for projections that draw them
    w_syn = np.zeros(src_all.size, np.float32)
    d_syn = np.zeros(src_all.size, np.int64)
    pos = 0
    need_w = np.zeros(src_all.size, np.bool_)
    need_d = np.zeros(src_all.size, np.bool_)
    max_d, min_d = 1, np.iinfo(np.int64).max
    abs_in = np.zeros(n_local)
    for idx, src, tgt, w, d in parts:
        sl = slice(pos, pos + src.size)
        if isinstance(w, np.ndarray):
            w_syn[sl] = w
            need_w[sl] = True
            np.add.at(abs_in, tgt, np.abs(w.astype(float)))
        else:
            abs_in += np.bincount(tgt, minlength=n_local) * abs(w)
        if isinstance(d, np.ndarray):
            d_syn[sl] = d
            need_d[sl] = True
            if d.size:
                max_d, min_d = max(max_d, int(d.max())), min(min_d, int(d.min()))
        elif src.size:
            max_d, min_d = max(max_d, d), min(min_d, d)
        pos += src.size
    w_syn, need_w = w_syn[perm], need_w[perm]
    d_syn, need_d = d_syn[perm], need_d[perm]
    w_cum = np.concatenate(([0], np.cumsum(need_w)))
    d_cum = np.concatenate(([0], np.cumsum(need_d)))
    for s in range(n_seg):
        idx, _, _, w, d = by_proj[int(seg_proj[s])]
        if isinstance(w, np.ndarray):
            seg_wofs[s] = w_cum[seg_start[s]]
        else:
            seg_wq[s] = int(to_fixed(w))
        if isinstance(d, np.ndarray):
            seg_dofs[s] = d_cum[seg_start[s]]
        else:
            seg_delay[s] = d
    ddtype = np.uint8 if max_d < 2 ** 8 else np.uint16
    if max_d >= 2 ** 16:
        raise DelayError(
            f"Network: a delay of {max_d} steps exceeds the {2 ** 16 - 1} steps a synapse can "
            f"hold; use shorter delays or a larger dt")
    limit = 2.0 ** (62 - FIXED_BITS)
    if abs_in.size and abs_in.max() >= limit:
        raise SimulationError(
            f"Network: neuron with local index {int(abs_in.argmax())} receives synapses whose "
            f"absolute weights sum to {abs_in.max():.4g}, beyond the fixed-point input range "
            f"{limit:.4g}; reduce weights or in-degrees")
    return SynapseTable(row_gid.astype(np.int64), seg_ptr, seg_start, seg_proj, seg_wq,
                        seg_wofs, seg_delay, seg_dofs, syn_target, w_syn[need_w],
                        d_syn[need_d].astype(ddtype), max_d,
                        min_d if min_d != np.iinfo(np.int64).max else 0)
