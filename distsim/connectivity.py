"""Generate the incoming synapses of the local neurons and store them source-indexed.

Per projection the local targets' sources are drawn from keyed streams (see kernels.connect),
then weights and delays from streams keyed by (projection, target gid) with the synapse's
position among that target's incoming synapses of the projection as counter.  Hence the
network is the same for any number of ranks.

The table is a CSR over source rows (every gid with at least one local target), each row a
list of segments, one per projection.  A segment's fields sit together in one row of the
int64 matrix ``seg`` (so one cache line serves a spike's segment lookup):

    seg_ptr[row] .. seg_ptr[row+1]       segments of the row
    seg[s, SEG_START] .. seg[s+1, SEG_START]
                                         synapses of segment s (targets in syn_target: local
                                         index, narrowest unsigned type)
    seg[s, SEG_WQ]                       fixed-point weight when homogeneous
    seg[s, SEG_WOFS]                     else offset of its weights in syn_weight (float32), -1
    seg[s, SEG_DELAY]                    delay (steps, > 0) when homogeneous, else
                                         -(offset of its delays in syn_delay) - 1
"""
from dataclasses import dataclass

import numpy as np

from . import arrays
from .distributions import is_distribution
from .errors import DelayError, SimulationError
from .kernels import connect as ck
from .kernels.engine import FIXED_BITS, to_fixed
from .rng import CONNECT, DELAY, WEIGHT, make_key, stream_id
from .rules import (AllToAll, FixedIndegree, FixedOutdegree, FixedTotalNumber, FromList,
                    OneToOne, PairwiseBernoulli)


SEG_START, SEG_WQ, SEG_DELAY, SEG_WOFS = 0, 1, 2, 3


@dataclass
class SynapseTable:
    row_gid: np.ndarray      # int64, sorted: gid of each source row
    seg_ptr: np.ndarray      # int64 [n_rows + 1]
    seg: np.ndarray          # int64 [n_seg + 1, 4]: start, wq, delay, wofs (see module doc)
    seg_proj: np.ndarray     # int32 projection index of each segment
    syn_target: np.ndarray   # uint16 / uint32
    syn_weight: np.ndarray   # float32
    syn_delay: np.ndarray    # uint8 / uint16
    max_delay: int
    min_delay: int

    @property
    def n_synapses(self):
        return int(self.seg[-1, SEG_START])

    @property
    def seg_start(self):
        return self.seg[:, SEG_START]

    @property
    def seg_delay(self):
        """Homogeneous delay of each segment (steps), 0 where delays are per synapse."""
        return np.maximum(self.seg[:-1, SEG_DELAY], 0)

    @property
    def seg_dofs(self):
        """Offset of each segment's delays in syn_delay, -1 where homogeneous."""
        d = self.seg[:-1, SEG_DELAY]
        return np.where(d > 0, -1, -d - 1)

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (self.row_gid, self.seg_ptr, self.seg, self.seg_proj,
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


def _narrow_delays(steps):
    """Delays (steps) in the narrowest unsigned type that the synapse table stores."""
    if steps.size and steps.max() >= 2 ** 16:
        raise DelayError(
            f"Network: a delay of {int(steps.max())} steps exceeds the {2 ** 16 - 1} steps a "
            f"synapse can hold; use shorter delays or a larger dt")
    return steps.astype(np.uint8 if not steps.size or steps.max() < 2 ** 8 else np.uint16)


def build_synapse_table(net, local_of_gid_by_pop):
    """Generate every projection onto the local neurons and assemble the SynapseTable.

    ``local_of_gid_by_pop[name]`` = (local offsets within the population (sorted int64),
    local neuron index of each)."""
    n_local = sum(len(v[1]) for v in local_of_gid_by_pop.values())
    tdtype = np.uint16 if n_local <= 2 ** 16 else np.uint32
    parts = []
    for proj in net.projections:
        offsets, local_idx = local_of_gid_by_pop[proj.target]
        if offsets.size == 0:
            continue
        tgt_pop = net.populations[proj.target]
        if isinstance(proj.rule, FromList):  # explicit synapses, per-synapse values given
            listed = proj.rule.selection(offsets, tgt_pop.size)
            src_off, tgt_off = proj.rule.sources[listed], proj.rule.targets[listed]
        else:
            src_off, tgt_off = _sources_of_local_targets(net, proj, offsets)
        if tgt_off.size > 1 and np.any(tgt_off[1:] < tgt_off[:-1]):
            # group by target (stable: keeps the rule's canonical order within a target)
            order = ck.stable_order(tgt_off, tgt_pop.size)
            src_off, tgt_off = src_off[order], tgt_off[order]
            del order
        tgt_gid = tgt_pop.first_gid + tgt_off
        local_of_offset = arrays.full(tgt_pop.size, -1, np.int64)
        local_of_offset[offsets] = local_idx
        tgt_local = local_of_offset[tgt_off].astype(tdtype)
        w = d = None
        if isinstance(proj.weight, np.ndarray):
            w = proj.weight[listed].astype(np.float32)
        elif is_distribution(proj.weight):
            w = _draw_per_synapse(net, proj, proj.weight, WEIGHT, tgt_gid).astype(np.float32)
        if isinstance(proj.delay, np.ndarray):
            d = _narrow_delays(_delay_steps(net, proj, proj.delay[listed]))
        elif is_distribution(proj.delay):
            d = _narrow_delays(_delay_steps(net, proj,
                                            _draw_per_synapse(net, proj, proj.delay, DELAY, tgt_gid)))
        del tgt_gid, tgt_off
        src_gid = net.populations[proj.source].first_gid + src_off
        del src_off
        parts.append((proj, src_gid, tgt_local, w, d))
    return _assemble(parts, n_local, net, tdtype)


def _assemble(parts, n_local, net, tdtype):
    n_total = net.n_neurons
    # source rows: every gid with a local target, in gid order
    is_source = np.zeros(n_total, np.bool_)
    for _, src, _, _, _ in parts:
        is_source[src] = True
    row_gid = np.flatnonzero(is_source).astype(np.int64)
    del is_source
    row_of_gid = arrays.full(n_total, -1, np.int32 if row_gid.size < 2 ** 31 else np.int64)
    row_of_gid[row_gid] = np.arange(row_gid.size, dtype=row_of_gid.dtype)

    n_proj = len(parts)
    sizes = np.array([p[1].size for p in parts], np.int64)
    proj_wq = np.zeros(n_proj, np.int64)
    proj_dconst = np.zeros(n_proj, np.int64)
    proj_index = np.array([p[0].index for p in parts], np.int32)
    max_d, min_d = 1, np.iinfo(np.int64).max
    abs_in = np.zeros(n_local)
    for k, (proj, src, tgt, w, d) in enumerate(parts):
        if w is None:
            proj_wq[k] = to_fixed(float(proj.weight))
            abs_in += np.bincount(tgt, minlength=n_local) * abs(float(proj.weight))
        else:
            abs_in += np.bincount(tgt, weights=np.abs(w.astype(np.float64)), minlength=n_local)
        if d is None:
            proj_dconst[k] = int(_delay_steps(net, proj, [proj.delay])[0])
            dk = np.array([proj_dconst[k]]) if src.size else np.empty(0, np.int64)
        else:
            dk = d
        if dk.size:
            max_d, min_d = max(max_d, int(dk.max())), min(min_d, int(dk.min()))
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
    ddtype = np.uint8 if max_d < 2 ** 8 else np.uint16

    def cat(items, dtype):
        return np.concatenate(items).astype(dtype, copy=False) if items else np.empty(0, dtype)

    has_w = np.array([p[3] is not None for p in parts], np.bool_)
    has_d = np.array([p[4] is not None for p in parts], np.bool_)
    # concatenate one field at a time and drop it from ``parts`` (the caller's list) at once,
    # so that no per-projection copy outlives its concatenation
    rows = cat([row_of_gid[p[1]] for p in parts], row_of_gid.dtype)
    del row_of_gid
    parts[:] = [(p[0], None, p[2], p[3], p[4]) for p in parts]
    targets = cat([p[2] for p in parts], tdtype)
    parts[:] = [(p[0], None, None, p[3], p[4]) for p in parts]
    weights = cat([p[3] for p in parts if p[3] is not None], np.float32)
    parts[:] = [(p[0], None, None, None, p[4]) for p in parts]
    delays = cat([p[4] for p in parts if p[4] is not None], ddtype)
    parts.clear()
    (seg_ptr, seg_start, seg_proj, seg_wq, seg_wofs, seg_delay, seg_dofs, syn_target, syn_weight,
     syn_delay) = ck.assemble_csr(rows, row_gid.size, sizes, proj_index, proj_wq, proj_dconst,
                                  has_w, has_d, targets, weights, delays)
    seg = arrays.zeros((seg_start.size, 4), np.int64)
    seg[:, SEG_START] = seg_start
    seg[:-1, SEG_WQ] = seg_wq
    seg[:-1, SEG_WOFS] = seg_wofs
    seg[:-1, SEG_DELAY] = np.where(seg_delay > 0, seg_delay, -seg_dofs - 1)
    return SynapseTable(row_gid, seg_ptr, seg, seg_proj, syn_target, syn_weight, syn_delay,
                        max_d, min_d if min_d != np.iinfo(np.int64).max else 0)
