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
                                         synapses of segment s (targets in syn_target:
                                         offsets from SEG_BASE, narrowest unsigned type)
    seg[s, SEG_WQ]                       fixed-point weight when homogeneous
    seg[s, SEG_WOFS]                     else offset of its weights in syn_weight (float32), -1
    seg[s, SEG_DELAY]                    delay (steps, > 0) when homogeneous, else
                                         -(offset of its delays in syn_delay) - 1
    seg[s, SEG_BASE]                     local index of the first local neuron of the
                                         projection's target population: a synapse's
                                         local target is SEG_BASE + syn_target

Targets are stored relative to their population's first local neuron, so uint16 serves
every rank whose target populations each have at most 65,536 local neurons, however many
neurons the rank holds (``target_dtype``).
"""

from dataclasses import dataclass

import numpy as np

from . import arrays
from .distributions import is_distribution, varies_per_synapse
from .errors import DelayError, NetworkError, SimulationError
from .kernels import connect as ck
from .kernels.fixed import FIXED_BITS, to_fixed
from .rng import CONNECT, DELAY, WEIGHT, make_key, stream_id
from .rules import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    FromList,
    OneToOne,
    PairwiseBernoulli,
)

SEG_START, SEG_WQ, SEG_DELAY, SEG_WOFS, SEG_BASE = 0, 1, 2, 3, 4
TARGET_SPAN_UINT16 = 2**16  # local neurons of a target population that uint16 targets reach


@dataclass
class SynapseTable:
    row_gid: np.ndarray  # int64, sorted: gid of each source row
    seg_ptr: np.ndarray  # int64 [n_rows + 1]
    seg: np.ndarray  # int64 [n_seg + 1, 5]: start, wq, delay, wofs, base (see module doc)
    seg_proj: np.ndarray  # int32 projection index of each segment
    syn_target: np.ndarray  # uint16 / uint32: offsets from the segment's SEG_BASE
    syn_weight: np.ndarray  # float32
    syn_delay: np.ndarray  # uint8 / uint16
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

    def local_targets(self, sel, syn_seg):
        """Local neuron index (int64) of synapses ``sel`` of segments ``syn_seg``."""
        return self.syn_target[sel].astype(np.int64) + self.seg[syn_seg, SEG_BASE]

    @property
    def nbytes(self):
        return sum(
            a.nbytes
            for a in (
                self.row_gid,
                self.seg_ptr,
                self.seg,
                self.seg_proj,
                self.syn_target,
                self.syn_weight,
                self.syn_delay,
            )
        )


CHUNK = 1 << 20  # synapses (fixed_total_number: draws) generated at a time


def _target_keyed(net, proj, part):
    """(source offsets, target offsets) of the synapses onto target offsets ``part`` for the
    rules whose draws are keyed by the target: grouped by target, in draw order."""
    src = net.populations[proj.source]
    tgt = net.populations[proj.target]
    rule = proj.rule
    if isinstance(rule, OneToOne):
        return part.copy(), part.copy()
    if isinstance(rule, AllToAll):
        s = np.tile(np.arange(src.size, dtype=np.int64), part.size)
        t = np.repeat(part, src.size)
        if not rule.allow_autapses and proj.source == proj.target:
            keep = s != t
            s, t = s[keep], t[keep]
        return s, t
    keys = ck.keys_for(net.seed, CONNECT, stream_id(proj.name), tgt.first_gid + part)
    if isinstance(rule, FixedIndegree):
        return ck.fixed_indegree(
            keys,
            part,
            tgt.first_gid,
            src.first_gid,
            src.size,
            rule.indegree,
            rule.allow_autapses,
            rule.allow_multapses,
        )
    if isinstance(rule, PairwiseBernoulli):
        return ck.pairwise_bernoulli(
            keys, part, tgt.first_gid, src.first_gid, src.size, float(rule.p), rule.allow_autapses
        )
    raise TypeError(rule)


def _pair_chunks(net, proj, offsets):
    """The projection's synapses onto the local target offsets ``offsets`` (sorted) as
    chunks (source offsets, target offsets, from_list indices or None) of about CHUNK
    synapses, in the rule's canonical order: grouped by target for the target-keyed rules
    and from_list (list order within a target), by source for fixed_outdegree, in draw
    order for fixed_total_number.  Every call yields the same chunks."""
    src = net.populations[proj.source]
    tgt = net.populations[proj.target]
    rule, sid = proj.rule, stream_id(proj.name)
    if isinstance(rule, FromList):
        listed = rule.selection(offsets, tgt.size)
        for a in range(0, listed.size, CHUNK):
            sel = listed[a : a + CHUNK]
            yield rule.sources[sel], rule.targets[sel], sel
        return
    if isinstance(rule, (FixedOutdegree, FixedTotalNumber)):  # drawn for all targets
        wanted = np.zeros(tgt.size, np.bool_)
        wanted[offsets] = True
    if isinstance(rule, FixedOutdegree):
        step = max(1, CHUNK // max(rule.outdegree, 1))
        for a in range(0, src.size, step):
            gids = np.arange(src.first_gid + a, src.first_gid + min(a + step, src.size))
            keys = ck.keys_for(net.seed, CONNECT, sid, gids)
            yield (
                *ck.fixed_outdegree(
                    keys,
                    a,
                    src.first_gid,
                    tgt.first_gid,
                    tgt.size,
                    rule.outdegree,
                    rule.allow_autapses,
                    rule.allow_multapses,
                    wanted,
                ),
                None,
            )
        return
    if isinstance(rule, FixedTotalNumber):
        key = np.uint64(make_key(net.seed, CONNECT, sid, 0))
        step = CHUNK if rule.allow_multapses else max(rule.N, 1)
        c = 0
        for m in range(0, rule.N, step):
            s, t, c = ck.fixed_total_number(
                key,
                c,
                m,
                min(m + step, rule.N),
                src.first_gid,
                src.size,
                tgt.first_gid,
                tgt.size,
                rule.allow_autapses,
                rule.allow_multapses,
                wanted,
            )
            yield s, t, None
        return
    if isinstance(rule, FixedIndegree):
        per_target = rule.indegree
    elif isinstance(rule, PairwiseBernoulli):
        per_target = rule.p * src.size
    elif isinstance(rule, AllToAll):
        per_target = src.size
    else:
        per_target = 1
    step = max(1, int(CHUNK // max(per_target, 1)))
    for a in range(0, offsets.size, step):
        yield (*_target_keyed(net, proj, offsets[a : a + step]), None)


def _count(net, proj, offsets):
    """Pass 1: the sources (offsets) of the projection's synapses onto ``offsets`` and the
    number of synapses of each."""
    n_src = net.populations[proj.source].size
    counts = np.zeros(n_src, np.int64)
    for s, _, _ in _pair_chunks(net, proj, offsets):
        counts += np.bincount(s, minlength=n_src)
    used = np.flatnonzero(counts)
    return used, counts[used]


def _delay_steps(net, delay):
    return int(np.floor(float(delay) / net.dt + 0.5))


def _check_delay_range(net, proj, steps):
    if steps >= 2**16:
        raise DelayError(
            f"Projection '{proj.name}': a delay of {steps} steps ({steps * net.dt:g} ms) "
            f"exceeds the {2**16 - 1} steps a synapse can hold; use shorter delays or a "
            f"larger dt"
        )


def _layout(net, plans, base):
    """Rows and segments from the synapse counts of each plan (projection, its sources,
    their counts): a row per source gid in gid order, a segment per projection of a row in
    projection order, per-synapse weights and delays of segments stored back to back;
    ``base[population]``: its first local neuron (SEG_BASE).
    Returns (row_gid, seg_ptr, seg, seg_proj, segment of each plan's source per plan)."""
    sizes = [used.size for _, used, _ in plans]
    gid = _cat([net.populations[p.source].first_gid + used for p, used, _ in plans], np.int64)
    plan_of = np.repeat(np.arange(len(plans)), sizes)
    order = np.argsort(gid, kind="stable")  # by gid, then projection (plans are in order)
    gid, plan_of = gid[order], plan_of[order]
    count = _cat([c for _, _, c in plans], np.int64)[order]
    new_row = np.ones(gid.size, np.bool_)
    new_row[1:] = gid[1:] != gid[:-1]
    seg_ptr = np.append(np.flatnonzero(new_row), gid.size).astype(np.int64)

    def per_plan(fn, dtype):
        return np.array([fn(p) for p, _, _ in plans], dtype)[plan_of]

    has_w = per_plan(lambda p: varies_per_synapse(p.weight), np.bool_)
    has_d = per_plan(lambda p: varies_per_synapse(p.delay), np.bool_)
    seg = arrays.zeros((gid.size + 1, 5), np.int64)
    seg[:-1, SEG_BASE] = per_plan(lambda p: base[p.target], np.int64)
    seg[1:, SEG_START] = np.cumsum(count)
    w_end = np.cumsum(count * has_w)
    d_end = np.cumsum(count * has_d)
    seg[:-1, SEG_WOFS] = np.where(has_w, w_end - count, -1)
    seg[:-1, SEG_WQ] = np.where(
        has_w,
        0,
        per_plan(
            lambda p: 0 if varies_per_synapse(p.weight) else to_fixed(float(p.weight)), np.int64
        ),
    )
    seg[:-1, SEG_DELAY] = np.where(
        has_d,
        count - d_end - 1,
        per_plan(
            lambda p: 0 if varies_per_synapse(p.delay) else _delay_steps(net, p.delay), np.int64
        ),
    )
    seg_proj = per_plan(lambda p: p.index, np.int32)
    seg_of = np.empty(gid.size, np.int64)
    seg_of[order] = np.arange(gid.size)
    bounds = np.cumsum([0] + sizes)
    return (
        gid[new_row],
        seg_ptr,
        seg,
        seg_proj,
        [seg_of[a:b] for a, b in zip(bounds[:-1], bounds[1:])],
    )


def _value_spec(net, proj, value, purpose, offsets):
    """(kind, parameters, stream key per target offset, constant) of a weight or delay for
    ck.place_synapses."""
    none = np.empty(0)
    if isinstance(value, np.ndarray):
        return ck.GIVEN, none, np.empty(0, np.uint64), 0.0
    if is_distribution(value):
        tgt = net.populations[proj.target]
        keys = np.zeros(tgt.size, np.uint64)
        keys[offsets] = ck.keys_for(
            net.seed, purpose, stream_id(proj.name), tgt.first_gid + offsets
        )
        return value.kind, value.params, keys, 0.0
    return ck.CONST, none, np.empty(0, np.uint64), float(value)


def _place(
    net, proj, offsets, local_idx, used, seg_rows, seg, syn_target, syn_weight, syn_delay, abs_in
):
    """Pass 2: regenerate the projection's synapses onto ``offsets`` and put each into its
    segment (``seg_rows``: the segment of each source in ``used``) with its weight and delay;
    targets relative to the segments' SEG_BASE.
    Returns the smallest and largest per-synapse delay (steps; the largest may exceed what
    syn_delay holds, and those delays are then not stored)."""
    src, tgt = net.populations[proj.source], net.populations[proj.target]
    start = seg[seg_rows, SEG_START]
    fill = np.zeros(src.size, np.int64)
    fill[used] = start
    w_shift = np.zeros(src.size, np.int64)
    w_shift[used] = seg[seg_rows, SEG_WOFS] - start
    d_shift = np.zeros(src.size, np.int64)
    d_shift[used] = -seg[seg_rows, SEG_DELAY] - 1 - start
    seen = np.zeros(tgt.size, np.int64)
    base = int(seg[seg_rows[0], SEG_BASE])
    local_of = arrays.full(tgt.size, -1, np.int64)
    local_of[offsets] = local_idx - base
    w_kind, w_par, w_key, w_const = _value_spec(net, proj, proj.weight, WEIGHT, offsets)
    d_kind, d_par, d_key, _ = _value_spec(net, proj, proj.delay, DELAY, offsets)
    d_range = np.array([np.iinfo(np.int64).max, 0], np.int64)
    none = np.empty(0)
    for s, t, listed in _pair_chunks(net, proj, offsets):
        ck.place_synapses(
            s,
            t,
            local_of,
            fill,
            seen,
            w_kind,
            w_par,
            w_key,
            proj.weight[listed] if w_kind == ck.GIVEN else none,
            w_shift,
            w_const,
            d_kind,
            d_par,
            d_key,
            proj.delay[listed] if d_kind == ck.GIVEN else none,
            d_shift,
            net.dt,
            syn_target,
            syn_weight,
            syn_delay,
            abs_in[base:],
            d_range,
        )
    if not np.array_equal(fill[used], seg[seg_rows + 1, SEG_START]):
        raise SimulationError(
            f"Projection '{proj.name}': the second pass over its rule drew other synapses "
            f"than the first; the rule's chunks must be deterministic (a distsim bug)"
        )
    return int(d_range[0]), int(d_range[1])


def build_synapse_table(net, local_of_gid_by_pop):
    """Generate every projection onto the local neurons and assemble the SynapseTable.

    ``local_of_gid_by_pop[name]`` = (local offsets within the population (sorted int64),
    local neuron index of each).  Two passes over each rule's chunks: the first counts the
    synapses of each (projection, source), which fixes the layout; the second regenerates
    them and puts every synapse, with its drawn weight and delay, straight into its place.
    Besides the table the build holds one chunk and a few arrays per population."""
    n_local = sum(len(v[1]) for v in local_of_gid_by_pop.values())
    plans = []
    for proj in net.projections:
        offsets = local_of_gid_by_pop[proj.target][0]
        if offsets.size and proj.storage == "stored":  # (procedural ones: never stored)
            used, counts = _count(net, proj, offsets)
            if used.size:
                plans.append((proj, used, counts))
    base = {p.target: int(local_of_gid_by_pop[p.target][1].min()) for p, _, _ in plans}
    tdtype = target_dtype(
        int(np.ptp(local_idx)) + 1
        for p in net.projections
        if p.storage == "stored" and (local_idx := local_of_gid_by_pop[p.target][1]).size
    )
    row_gid, seg_ptr, seg, seg_proj, seg_rows = _layout(net, plans, base)
    n_w = int(sum(c.sum() for p, _, c in plans if varies_per_synapse(p.weight)))
    n_d = int(sum(c.sum() for p, _, c in plans if varies_per_synapse(p.delay)))
    syn_target = np.empty(int(seg[-1, SEG_START]), tdtype)
    syn_weight = np.empty(n_w, np.float32)
    syn_delay = np.empty(n_d, np.uint8)
    abs_in = np.zeros(n_local)
    d_lo, d_hi = [np.iinfo(np.int64).max], [1]
    for (proj, used, _), rows in zip(plans, seg_rows):
        offsets, local_idx = local_of_gid_by_pop[proj.target]
        if not varies_per_synapse(proj.delay):
            d_lo.append(_delay_steps(net, proj.delay))
            d_hi.append(d_lo[-1])
            _check_delay_range(net, proj, d_hi[-1])
        before = abs_in.copy()
        while True:
            lo, hi = _place(
                net,
                proj,
                offsets,
                local_idx,
                used,
                rows,
                seg,
                syn_target,
                syn_weight,
                syn_delay,
                abs_in,
            )
            if hi <= np.iinfo(syn_delay.dtype).max:
                break
            _check_delay_range(net, proj, hi)
            syn_delay = syn_delay.astype(np.uint16)  # wider delays: this projection again
            abs_in[:] = before
        d_lo.append(lo)
        d_hi.append(hi)
    max_d, min_d = max(d_hi), min(d_lo)
    limit = 2.0 ** (62 - FIXED_BITS)
    if abs_in.size and abs_in.max() >= limit:
        raise SimulationError(
            f"Network: neuron with local index {int(abs_in.argmax())} receives synapses whose "
            f"absolute weights sum to {abs_in.max():.4g}, beyond the fixed-point input range "
            f"{limit:.4g}; reduce weights or in-degrees"
        )
    return SynapseTable(
        row_gid,
        seg_ptr,
        seg,
        seg_proj,
        syn_target,
        syn_weight,
        syn_delay,
        max_d,
        min_d if min_d != np.iinfo(np.int64).max else 0,
    )


def target_dtype(spans):
    """Type of the stored targets of a rank whose stored projections' target populations
    span ``spans`` local indices each (last - first + 1): uint16 when every span is at most
    TARGET_SPAN_UINT16, else uint32."""
    return np.uint16 if max(spans, default=0) <= TARGET_SPAN_UINT16 else np.uint32


def rank_target_dtypes(net, dec):
    """``target_dtype`` of each rank of decomposition ``dec`` (a population's neurons on a
    rank have consecutive local indices: local index order is gid order)."""
    spans = np.zeros(dec.n_ranks, np.int64)
    for name in {p.target for p in net.projections if p.storage == "stored"}:
        pop = net.populations[name]
        ranks = dec.rank_of[pop.first_gid : pop.first_gid + pop.size]
        spans = np.maximum(spans, np.bincount(ranks, minlength=dec.n_ranks))
    return [target_dtype([int(s)]) for s in spans]


def projection_synapses(table, network, projection, where):
    """(synapse indices in ``table``, their segments, positions within the segment, source
    rows) of the local synapses of one projection (by name) or all (None); ``where`` names
    the caller in the error for an unknown projection."""
    seg_len = np.diff(table.seg_start)
    seg_row = np.repeat(np.arange(table.row_gid.size), np.diff(table.seg_ptr))
    keep = np.ones(seg_len.size, np.bool_)
    if projection is not None:
        names = [p.name for p in network.projections]
        if projection not in names:
            raise NetworkError(
                f"{where}: projection '{projection}' does not exist; "
                f"projections: {', '.join(names)}"
            )
        keep = table.seg_proj == names.index(projection)
    syn_seg = np.repeat(np.arange(seg_len.size), seg_len)
    sel = np.flatnonzero(keep[syn_seg])
    syn_seg = syn_seg[sel]
    return sel, syn_seg, sel - table.seg_start[syn_seg], seg_row[syn_seg]


def _cat(items, dtype):
    return np.concatenate(items).astype(dtype, copy=False) if items else np.empty(0, dtype)
