"""Procedural synapses: regenerated from counter-based streams each time their source
spikes, never stored (GeNN's procedural connectivity, Knight & Nowotny 2021, on CPUs).

The realisation does not depend on the partition.  A projection's target population is cut
into blocks of PROC_BLOCK targets; the synapses of source s into block b are a pure function
of (seed, projection, s, b):

- fixed_total_number (N, multapses): the number of synapses of each source K_s is drawn once
  at the build (a multinomial over the sources: binomial splits down a binary tree over the
  source indices, each keyed by its node), and kept (4 B per source and projection);
  fixed_outdegree (K, multapses): K_s = K;
- K_s is split over the blocks by binomial splits down a binary tree over the blocks (keyed
  by (s, node); the probability of a side is its share of the eligible targets, the source
  itself left out without autapses); a rank descends only to the blocks it holds targets in;
- the c synapses of (s, b) have targets uniform over the block's eligible targets, from the
  stream (CONNECT, projection, s, b), counter m;
- pairwise_bernoulli (p): each target of the block is taken with probability p, found by
  geometric skips along the block from the stream (CONNECT, projection, s, b);
- the m-th synapse of (s, b) draws its weight and delay from the streams (WEIGHT, ...) and
  (DELAY, ...) at counter m: a normal weight by the ziggurat (rng.normal_ziggurat; bounds
  without redraw clip, with redraw it is drawn again from the synapse's sub-stream, or, when
  the bounds keep less than half the mass, the truncated normal is inverted with its
  quantile, AS 241: both sample what redrawing samples); a uniform one from one uniform; a
  delay in steps by a table of the distribution of round(d / dt) (``delay_table``): one
  uniform and about one comparison (a guide table, Chen & Asau 1974).

Delivery adds each weight (fixed point) to its target's ring slot; an arrival beyond the
ring goes to the far queue of Input (``far_push``), which ``far_drain`` empties into the
ring when the step comes: the same integer sums as a ring of every slot.
"""

import math

import numba as nb
import numpy as np

from ..rng import (
    CONNECT,
    COUNTS,
    DELAY,
    GOLDEN,
    SPLIT,
    WEIGHT,
    make_key,
    normal_quantile,
    normal_ziggurat,
    open_uniform,
    splitmix64,
    uniform,
)
from .fixed import to_fixed

PROC_BLOCK = 1 << 12  # targets per block (fixed forever: it is part of the realisation)
TOTAL, OUTDEGREE, BERNOULLI = 0, 1, 2  # rules (proc_int[p, P_RULE])
# weight kinds (proc_int[p, P_WKIND])
W_UNIFORM, W_NORMAL_CLIP, W_NORMAL_REDRAW, W_NORMAL_INVERSE, W_LOGNORMAL = range(5)
_REDRAW = np.uint64(0x8CB92BA72F3D8DD7)  # salt of a synapse's sub-stream of redraws
# columns of proc_int (one row per procedural projection): rule, source and target
# populations (first gid, size), 1 when autapses are left out, stream id, offset of the
# source counts (fixed_total_number), weight kind, delay table, the blocks with targets here
# (first, last; last < first: none), outdegree, target population (index)
(
    P_RULE,
    P_SRC_FIRST,
    P_N_SRC,
    P_TGT_FIRST,
    P_N_TGT,
    P_SELF,
    P_STREAM,
    P_COUNTS,
    P_WKIND,
    P_DTAB,
    P_BLO,
    P_BHI,
    P_K,
    P_TGT_POP,
) = range(14)
N_PROC_INT = 14
SPIKE_CHUNK = 4096  # spikes regenerated together (bounds the scratch of their block counts)
# columns of proc_flt: p (pairwise_bernoulli); the weight's a, b (mean and sd of a normal,
# mu and sigma of a lognormal, low and high of a uniform), bounds lo, hi, and the normal
# CDF at the bounds p_lo, p_hi (W_NORMAL_INVERSE: w = a + b Q(p_lo + u (p_hi - p_lo)))
F_P, F_A, F_B, F_LO, F_HI, F_PLO, F_PHI = range(7)
N_PROC_FLT = 7
# columns of d_meta (one row per delay table): first cdf entry, entries, step of the first
# entry, first guide entry, guide entries (a power of two)
D_CDF, D_LEN, D_K0, D_GUIDE, D_GLEN = range(5)
FAR_CHUNK = 64  # entries of a chunk of the far queue (local index and fixed-point weight)
FAR_FREE, FAR_USED, FAR_SPARE = 0, 1, 2  # far_meta: first free chunk, entries, free chunks


@nb.njit(cache=True)
def binomial(key, counter, n, p):
    """A Binomial(n, p) variate from uniform ``counter`` of stream ``key``: inversion that
    walks outwards from the mode (m, m + 1, m - 1, ...), with the probabilities from the
    mode's by their ratios; exact up to rounding, O(sqrt(n p q)) steps."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    q = 1.0 - p
    m = min(n, int((n + 1) * p))
    logp = (
        math.lgamma(n + 1.0)
        - math.lgamma(m + 1.0)
        - math.lgamma(n - m + 1.0)
        + m * math.log(p)
        + (n - m) * math.log(q)
    )
    pm = math.exp(logp)
    u = uniform(key, counter) - pm
    if u < 0.0:
        return m
    up, down = m, m
    p_up, p_down = pm, pm
    r = p / q
    while True:
        if up < n:  # k = up + 1
            p_up *= (n - up) / (up + 1.0) * r
            up += 1
            u -= p_up
            if u < 0.0:
                return up
        if down > 0:  # k = down - 1
            p_down *= down / ((n - down + 1.0) * r)
            down -= 1
            u -= p_down
            if u < 0.0:
                return down
        if (up >= n and down <= 0) or (p_up < 1e-300 and p_down < 1e-300):
            return m  # the rounding's last sliver of probability: the mode


@nb.njit(cache=True)
def source_counts(seed, stream, n_src, total):
    """The number of synapses of each of ``n_src`` sources when ``total`` synapses pick their
    source uniformly (a multinomial): binomial splits down a binary tree over the sources,
    node v splitting its count between [lo, mid) and [mid, hi), keyed by (stream, v)."""
    out = np.zeros(n_src, np.uint32)
    stack_lo = np.empty(64, np.int64)
    stack_hi = np.empty(64, np.int64)
    stack_c = np.empty(64, np.int64)
    stack_v = np.empty(64, np.int64)
    stack_lo[0], stack_hi[0], stack_c[0], stack_v[0] = 0, n_src, total, 1
    top = 1
    while top:
        top -= 1
        lo, hi, c, v = stack_lo[top], stack_hi[top], stack_c[top], stack_v[top]
        if hi - lo == 1 or c == 0:
            if c:
                out[lo] = c
            continue
        mid = (lo + hi) // 2
        left = binomial(make_key(seed, COUNTS, stream, v), 0, c, (mid - lo) / (hi - lo))
        stack_lo[top], stack_hi[top], stack_c[top], stack_v[top] = lo, mid, left, 2 * v
        stack_lo[top + 1], stack_hi[top + 1] = mid, hi
        stack_c[top + 1], stack_v[top + 1] = c - left, 2 * v + 1
        top += 2
    return out


@nb.njit(cache=True, inline="always")
def _eligible(lo_blk, hi_blk, n_tgt, own):
    """Targets in blocks [lo_blk, hi_blk) of a population of n_tgt, without target ``own``
    (-1: none left out)."""
    lo = lo_blk * PROC_BLOCK
    hi = min(hi_blk * PROC_BLOCK, n_tgt)
    return hi - lo - (1 if lo <= own < hi else 0)


@nb.njit(cache=True)
def block_counts(seed, stream, s_gid, k_s, n_tgt, own, b_lo, b_hi, out):
    """The synapses of a source (gid ``s_gid``, ``k_s`` of them) in each block b_lo .. b_hi
    of the target population (``out[b - b_lo]``): binomial splits down the tree over the
    blocks, keyed by (stream, source, node), visiting only nodes over those blocks."""
    n_blocks = (n_tgt + PROC_BLOCK - 1) // PROC_BLOCK
    out[: b_hi - b_lo + 1] = 0
    if n_blocks == 1:
        out[0] = k_s
        return
    stack_lo = np.empty(64, np.int64)
    stack_hi = np.empty(64, np.int64)
    stack_c = np.empty(64, np.int64)
    stack_v = np.empty(64, np.int64)
    stack_lo[0], stack_hi[0], stack_c[0], stack_v[0] = 0, n_blocks, k_s, 1
    top = 1
    while top:
        top -= 1
        lo, hi, c, v = stack_lo[top], stack_hi[top], stack_c[top], stack_v[top]
        if hi <= b_lo or lo > b_hi or c == 0:
            continue
        if hi - lo == 1:
            out[lo - b_lo] = c
            continue
        mid = (lo + hi) // 2
        share = _eligible(lo, mid, n_tgt, own) / _eligible(lo, hi, n_tgt, own)
        left = binomial(make_key(seed, SPLIT, (stream << np.int64(26)) + v, s_gid), 0, c, share)
        stack_lo[top], stack_hi[top], stack_c[top], stack_v[top] = lo, mid, left, 2 * v
        stack_lo[top + 1], stack_hi[top + 1] = mid, hi
        stack_c[top + 1], stack_v[top + 1] = c - left, 2 * v + 1
        top += 2


@nb.njit(cache=True, inline="always")
def draw_weight(kind, w, key, m):
    """Weight m of stream ``key`` (``w``: the proc_flt row as a tuple, kind W_*)."""
    if kind == W_UNIFORM:
        return w[F_A] + (w[F_B] - w[F_A]) * uniform(key, m)
    if kind == W_NORMAL_INVERSE:
        q = normal_quantile(w[F_PLO] + open_uniform(key, m) * (w[F_PHI] - w[F_PLO]))
        return min(max(w[F_A] + w[F_B] * q, w[F_LO]), w[F_HI])
    x = w[F_A] + w[F_B] * normal_ziggurat(key, m)
    if kind == W_NORMAL_REDRAW and not (w[F_LO] <= x <= w[F_HI]):
        x = _redrawn(w, splitmix64(key + np.uint64(m) * GOLDEN ^ _REDRAW))
    x = min(max(x, w[F_LO]), w[F_HI])
    return math.exp(x) if kind == W_LOGNORMAL else x


@nb.njit(cache=True)
def _redrawn(w, key):
    """A normal weight drawn again from sub-stream ``key`` until it lies within its bounds
    (at least half the mass lies there: W_NORMAL_INVERSE otherwise)."""
    k = 0
    while True:
        x = w[F_A] + w[F_B] * normal_ziggurat(key, k)
        k += 1
        if w[F_LO] <= x <= w[F_HI]:
            return x


@nb.njit(cache=True, inline="always")
def draw_delay(u, k0, c0, g0, n_guide, d_cdf, d_guide):
    """The delay (steps) of uniform u in [0, 1) from the delay table of first step k0, cdf
    entries from c0 and n_guide guide entries from g0: the first entry whose cumulative
    probability exceeds u, searched from the guide table's entry."""
    j = d_guide[g0 + np.int64(u * n_guide)]
    while u >= d_cdf[c0 + j]:
        j += 1
    return k0 + j


def delay_table(step_cdf):
    """(cdf, guide) of a delay table from the cumulative probabilities of its steps (the last
    1): ``guide[g]`` is the first entry with cdf > g / G, G the next power of two >= the
    entries (about one comparison per draw)."""
    cdf = np.asarray(step_cdf, np.float64).copy()
    cdf[-1] = 1.0
    n_guide = 1 << max(0, int(cdf.size - 1).bit_length())
    guide = np.searchsorted(cdf, np.arange(n_guide) / n_guide, side="right").astype(np.int64)
    return cdf, guide


@nb.njit(cache=True)
def far_reserve(inp, chunks):
    """At least ``chunks`` free chunks in the far queue's pool (doubling it as needed);
    returns the pool array.  Pushes then never grow it, so that they can keep the array in a
    local variable (a typed List's item and a named tuple's field cost reference counting
    each time they are read: read them once, outside the loops)."""
    meta = inp.far_meta
    while meta[FAR_SPARE] < chunks:
        pool = inp.far_pool[0]
        cap = pool.shape[0]
        grown = np.empty((2 * cap, 2, FAR_CHUNK + 1), np.int64)
        grown[:cap] = pool
        grown[cap:] = 0  # (every page written: no zero page)
        for k in range(cap, 2 * cap - 1):
            grown[k, 0, FAR_CHUNK] = k + 1
        grown[2 * cap - 1, 0, FAR_CHUNK] = meta[FAR_FREE]
        meta[FAR_FREE] = cap
        meta[FAR_SPARE] += cap
        inp.far_pool[0] = grown
    return inp.far_pool[0]


@nb.njit(cache=True, inline="always")
def far_push(arrival, i, wq, head, tail, fill, meta, pool):
    """Queue the fixed-point weight ``wq`` for local neuron i in step ``arrival`` (beyond the
    ring): appended to the last chunk of the step's bucket, a free chunk linked when it is
    full (the caller reserved them, ``far_reserve``); each bucket fills its chunks in order,
    so few cache lines are written at a time."""
    b = arrival & (head.shape[0] - 1)
    c = tail[b]
    k = fill[b]
    if c < 0 or k == FAR_CHUNK:
        new = meta[FAR_FREE]
        meta[FAR_FREE] = pool[new, 0, FAR_CHUNK]
        meta[FAR_SPARE] -= 1
        pool[new, 0, FAR_CHUNK] = -1
        if c < 0:
            head[b] = new
        else:
            pool[c, 0, FAR_CHUNK] = new
        tail[b] = c = new
        k = 0
    pool[c, 0, k] = i
    pool[c, 1, k] = wq
    fill[b] = k + 1
    meta[FAR_USED] += 1


@nb.njit(cache=True)
def far_push_many(arrival, local, wq, inp):
    """``far_push`` of each (arrival step, local index, fixed-point weight)."""
    pool = far_reserve(inp, arrival.shape[0] + 1)
    head, tail, fill, meta = inp.far_head, inp.far_tail, inp.far_fill, inp.far_meta
    for k in range(arrival.shape[0]):
        far_push(arrival[k], local[k], wq[k], head, tail, fill, meta, pool)


@nb.njit(cache=True)
def far_drain(t, ns, inp):
    """Add the queued input of step t to its ring slot and free its chunks."""
    head, tail, fill, meta = inp.far_head, inp.far_tail, inp.far_fill, inp.far_meta
    b = t & (head.shape[0] - 1)
    c = head[b]
    if c < 0:
        return
    pool = inp.far_pool[0]
    ring = inp.ring
    ex, ih = ring[t % ns], ring[t % ns + ns]
    last = tail[b]
    while c >= 0:
        n = fill[b] if c == last else FAR_CHUNK
        for k in range(n):
            wq = pool[c, 1, k]
            if wq >= 0:
                ex[pool[c, 0, k]] += wq
            else:
                ih[pool[c, 0, k]] += wq
        meta[FAR_USED] -= n
        meta[FAR_SPARE] += 1
        nxt = pool[c, 0, FAR_CHUNK]
        pool[c, 0, FAR_CHUNK] = meta[FAR_FREE]
        meta[FAR_FREE] = c
        c = nxt
    head[b] = -1
    tail[b] = -1
    fill[b] = 0


@nb.njit(cache=True)
def far_events(inp, now):
    """The queued input as (arrival step, local index, fixed-point weight) arrays, for a
    checkpoint (steps after ``now``; the queue holds at most len(far_head) steps)."""
    n = inp.far_meta[FAR_USED]
    steps = np.empty(n, np.int64)
    local = np.empty(n, np.int64)
    wq = np.empty(n, np.int64)
    size = inp.far_head.shape[0]
    pool = inp.far_pool[0]
    at = 0
    for b in range(size):
        step = now + 1 + (b - now - 1) % size  # the one step after now with this bucket
        c = inp.far_head[b]
        while c >= 0:
            m = inp.far_fill[b] if c == inp.far_tail[b] else FAR_CHUNK
            for k in range(m):
                steps[at], local[at], wq[at] = step, pool[c, 0, k], pool[c, 1, k]
                at += 1
            c = pool[c, 0, FAR_CHUNK]
    return steps, local, wq


@nb.njit(cache=True, inline="always")
def _spec(proc_int, proc_flt, d_meta, p):
    """What generating projection p's synapses needs, as tuples of scalars (no array views
    in the inner loops): (rule, targets, first target gid, stream, weight kind, delay table's
    first step, first cdf entry, first guide entry, guide entries, autapses left out), and
    the proc_flt row."""
    t = proc_int[p, P_DTAB]
    spec = (
        proc_int[p, P_RULE],
        proc_int[p, P_N_TGT],
        proc_int[p, P_TGT_FIRST],
        proc_int[p, P_STREAM],
        proc_int[p, P_WKIND],
        d_meta[t, D_K0],
        d_meta[t, D_CDF],
        d_meta[t, D_GUIDE],
        d_meta[t, D_GLEN],
        proc_int[p, P_SELF],
    )
    w = (
        proc_flt[p, 0],
        proc_flt[p, 1],
        proc_flt[p, 2],
        proc_flt[p, 3],
        proc_flt[p, 4],
        proc_flt[p, 5],
        proc_flt[p, 6],
    )
    return spec, w


@nb.njit(cache=True, inline="always")
def _block_synapses(spec, w, seed, g, b, own, m0, m1, local_of, d_cdf, d_guide, bi, bq, bd):
    """The synapses m0 .. m1 - 1 of source g in block b (``spec``, ``w``: _spec; ``own``:
    the source's index among the targets, -1: none left out; pairwise_bernoulli: the whole
    block, m0 = 0) that end on this rank's neurons: local index, fixed-point weight and delay
    (steps) into bi, bq, bd; returns how many."""
    rule, n_tgt, tgt_first, stream, wkind, k0, c0, g0, n_guide, _ = spec
    blk_lo = b * PROC_BLOCK
    blk_n = min(PROC_BLOCK, n_tgt - blk_lo)
    blk_first = tgt_first + blk_lo
    own_b = own - blk_lo if blk_lo <= own < blk_lo + blk_n else -1
    sub = (stream << np.int64(20)) + b
    key_c = make_key(seed, CONNECT, sub, g)
    key_w = make_key(seed, WEIGHT, sub, g)
    key_d = make_key(seed, DELAY, sub, g)
    n = 0
    if rule == BERNOULLI:
        q = w[F_P]
        log_q = math.log1p(-q) if q < 1.0 else 0.0
        c = 0
        j = -1
        m = 0  # synapses found so far: the weight and delay counter
        while True:
            if q < 1.0:
                j += 1 + int(math.floor(math.log1p(-uniform(key_c, c)) / log_q))
                c += 1
            else:
                j += 1
            if j >= blk_n:
                break
            if j == own_b:
                continue
            i = local_of[blk_first + j]
            if i >= 0:
                bi[n] = i
                bq[n] = to_fixed(draw_weight(wkind, w, key_w, m))
                bd[n] = draw_delay(uniform(key_d, m), k0, c0, g0, n_guide, d_cdf, d_guide)
                n += 1
            m += 1
        return n
    eligible = blk_n - (1 if own_b >= 0 else 0)
    for m in range(m0, m1):
        j = np.int64(uniform(key_c, m) * eligible)
        if own_b >= 0 and j >= own_b:
            j += 1
        i = local_of[blk_first + j]
        if i >= 0:
            bi[n] = i
            bq[n] = to_fixed(draw_weight(wkind, w, key_w, m))
            bd[n] = draw_delay(uniform(key_d, m), k0, c0, g0, n_guide, d_cdf, d_guide)
            n += 1
    return n


@nb.njit(cache=True)
def _source_blocks(g, p, seed, proc_int, counts, out):
    """For the spike of gid g and procedural projection p (with targets here): the synapse
    count of each block with targets here into ``out`` (pairwise_bernoulli: none); returns
    the source's own index in the target population (-1: none left out)."""
    s = g - proc_int[p, P_SRC_FIRST]
    own = s if proc_int[p, P_SELF] else -1
    rule = proc_int[p, P_RULE]
    if rule != BERNOULLI:
        k_s = proc_int[p, P_K] if rule == OUTDEGREE else np.int64(counts[proc_int[p, P_COUNTS] + s])
        block_counts(
            seed,
            proc_int[p, P_STREAM],
            g,
            k_s,
            proc_int[p, P_N_TGT],
            own,
            proc_int[p, P_BLO],
            proc_int[p, P_BHI],
            out,
        )
    return own


@nb.njit(cache=True)
def deliver_procedural(gids, steps, n, now, ns, inp, proc):
    """The procedural synapses of the spikes of ``gids[:n]`` (emitted in ``steps[:n]``) onto
    this rank's neurons (``proc``: kernels/state.py Procedural): regenerate them, then add
    each weight to the ring slot of step + d, or queue it beyond the ring.  Target population
    by population and block by block, so that the ring's lines of a block stay in the cache
    while every spike's synapses into it are added.  Returns (synaptic events, late ones:
    step + d <= ``now``, which the exchange never allows)."""
    events = 0
    late = 0
    for c0 in range(0, n, SPIKE_CHUNK):
        e, lt = _deliver_chunk(gids, steps, c0, min(n, c0 + SPIKE_CHUNK), now, ns, inp, proc)
        events += e
        late += lt
    return events, late


@nb.njit(cache=True)
def _deliver_chunk(gids, steps, c0, c1, now, ns, inp, proc):
    """``deliver_procedural`` of spikes c0 .. c1 - 1 (every field of ``inp`` and ``proc``
    read once into a local: reading one costs reference counting)."""
    seed = proc.seed[0]
    pop_first, pop_ptr, pop_proj = proc.pop_first, proc.pop_ptr, proc.pop_proj
    proc_int, proc_flt, d_meta, counts = proc.proc_int, proc.proc_flt, proc.d_meta, proc.counts
    n_pops = pop_first.shape[0] - 1
    # the (spike, projection) items, grouped by target population
    per_pop = np.zeros(n_pops + 1, np.int64)
    for k in range(c0, c1):
        pop = np.searchsorted(pop_first, gids[k], side="right") - 1
        for e in range(pop_ptr[pop], pop_ptr[pop + 1]):
            p = pop_proj[e]
            if proc_int[p, P_BHI] >= proc_int[p, P_BLO]:
                per_pop[proc_int[p, P_TGT_POP] + 1] += 1
    for t in range(n_pops):
        per_pop[t + 1] += per_pop[t]
    n_items = per_pop[n_pops]
    if n_items == 0:
        return 0, 0
    n_blk = proc.block_buf.shape[0]
    item_k = np.empty(n_items, np.int64)
    item_p = np.empty(n_items, np.int64)
    item_own = np.empty(n_items, np.int64)
    item_cnt = np.empty((n_items, n_blk), np.int64)
    fill = per_pop[:-1].copy()
    for k in range(c0, c1):
        pop = np.searchsorted(pop_first, gids[k], side="right") - 1
        for e in range(pop_ptr[pop], pop_ptr[pop + 1]):
            p = pop_proj[e]
            if proc_int[p, P_BHI] >= proc_int[p, P_BLO]:
                it = fill[proc_int[p, P_TGT_POP]]
                fill[proc_int[p, P_TGT_POP]] += 1
                item_k[it], item_p[it] = k, p
                item_own[it] = _source_blocks(gids[k], p, seed, proc_int, counts, item_cnt[it])
    ring = inp.ring
    head, tail, fill_far, meta = inp.far_head, inp.far_tail, inp.far_fill, inp.far_meta
    pool = inp.far_pool[0]
    bi, bq, bd = proc.buf_i, proc.buf_q, proc.buf_d
    local_of, d_cdf, d_guide = proc.local_of, proc.d_cdf, proc.d_guide
    events = 0
    late = 0
    for tp in range(n_pops):
        if per_pop[tp + 1] == per_pop[tp]:
            continue
        p0 = item_p[per_pop[tp]]
        b_lo, b_hi = proc_int[p0, P_BLO], proc_int[p0, P_BHI]  # (those of every projection
        for b in range(b_lo, b_hi + 1):  #                       onto population tp)
            for it in range(per_pop[tp], per_pop[tp + 1]):
                p = item_p[it]
                spec, w = _spec(proc_int, proc_flt, d_meta, p)
                c = PROC_BLOCK if spec[0] == BERNOULLI else item_cnt[it, b - b_lo]
                t = steps[item_k[it]]
                g = gids[item_k[it]]
                for m0 in range(0, c, PROC_BLOCK):  # at most PROC_BLOCK synapses at a time
                    got = _block_synapses(
                        spec,
                        w,
                        seed,
                        g,
                        b,
                        item_own[it],
                        m0,
                        min(c, m0 + PROC_BLOCK),
                        local_of,
                        d_cdf,
                        d_guide,
                        bi,
                        bq,
                        bd,
                    )
                    events += got
                    if meta[FAR_SPARE] <= got:  # (rarely: the far queue grows)
                        pool = far_reserve(inp, 2 * got + 1)
                    for m in range(got):  # the adds in a loop of their own (cache misses)
                        arrival = t + bd[m]
                        wq = bq[m]
                        if arrival <= now:
                            late += 1
                        elif arrival - now < ns:
                            ring[arrival % ns + (0 if wq >= 0 else ns), bi[m]] += wq
                        else:
                            far_push(arrival, bi[m], wq, head, tail, fill_far, meta, pool)
    return events, late


@nb.njit(cache=True)
def list_procedural(p, proc, first, stop):
    """The synapses of procedural projection p from sources with gids first .. stop - 1 onto
    this rank's neurons: (source gid, local index, fixed-point weight, delay in steps)."""
    size = 1024
    src = np.empty(size, np.int64)
    loc = np.empty(size, np.int64)
    wq = np.empty(size, np.int64)
    dly = np.empty(size, np.int64)
    n = 0
    row = proc.proc_int[p]
    seed = proc.seed[0]
    bi, bq, bd = proc.buf_i, proc.buf_q, proc.buf_d
    b_lo, b_hi = row[P_BLO], row[P_BHI]
    cnt = proc.block_buf
    spec, w = _spec(proc.proc_int, proc.proc_flt, proc.d_meta, p)
    for g in range(first, stop):
        if b_hi < b_lo:
            break
        own = _source_blocks(g, p, seed, proc.proc_int, proc.counts, cnt)
        for b in range(b_lo, b_hi + 1):
            c = PROC_BLOCK if row[P_RULE] == BERNOULLI else cnt[b - b_lo]
            for m0 in range(0, c, PROC_BLOCK):
                got = _block_synapses(
                    spec,
                    w,
                    seed,
                    g,
                    b,
                    own,
                    m0,
                    min(c, m0 + PROC_BLOCK),
                    proc.local_of,
                    proc.d_cdf,
                    proc.d_guide,
                    bi,
                    bq,
                    bd,
                )
                while n + got > size:
                    size *= 2
                    src = _grown(src, size)
                    loc = _grown(loc, size)
                    wq = _grown(wq, size)
                    dly = _grown(dly, size)
                src[n : n + got] = g
                loc[n : n + got] = bi[:got]
                wq[n : n + got] = bq[:got]
                dly[n : n + got] = bd[:got]
                n += got
    return src[:n], loc[:n], wq[:n], dly[:n]


@nb.njit(cache=True)
def _grown(a, size):
    out = np.empty(size, a.dtype)
    out[: a.shape[0]] = a
    return out
