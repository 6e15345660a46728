"""Connection generation kernels.  Every draw is keyed so that a target's (or, for the
out-degree and total-number rules, a source's) synapses do not depend on the partition.

The rule kernels return pairs (source offset in the source population, target offset in the
target population) for the wanted targets only, in a canonical order, for a part of the
projection at a time (a range of targets, of sources or of draws), so that the build never
holds more than a chunk of pairs; ``place_synapses`` puts a chunk straight into the final
source-indexed arrays, drawing weights and delays on the way.
"""

import math

import numba as nb
import numpy as np

from ..distributions import draw_one
from ..rng import make_key, uniform, uniform_index


@nb.njit(cache=True)
def fixed_indegree(keys, tgt_idx, tgt_first, src_first, n_src, k, autapses, multapses):
    """k sources per target; keys[i] is the stream of target tgt_idx[i]."""
    n = tgt_idx.shape[0]
    src = np.empty(n * k, np.int64)
    tgt = np.empty(n * k, np.int64)
    mark = np.zeros(n_src if not multapses else 0, np.bool_)
    pos = 0
    for i in range(n):
        key = keys[i]
        own = tgt_first + tgt_idx[i] - src_first  # source offset that would be an autapse
        c = 0
        start = pos
        while pos - start < k:
            s = uniform_index(key, c, n_src)
            c += 1
            if not autapses and s == own:
                continue
            if not multapses:
                if mark[s]:
                    continue
                mark[s] = True
            src[pos] = s
            tgt[pos] = tgt_idx[i]
            pos += 1
        if not multapses:
            for j in range(start, pos):
                mark[src[j]] = False
    return src, tgt


@nb.njit(cache=True)
def _bernoulli_row(key, p, n_src, own, autapses, out, pos, tgt_i, tgt):
    if p <= 0.0:
        return pos
    c = 0
    j = -1
    log_q = math.log1p(-p) if p < 1.0 else -math.inf
    while True:
        if p < 1.0:
            u = uniform(key, c)
            c += 1
            j += 1 + int(math.floor(math.log1p(-u) / log_q))
        else:
            j += 1
        if j >= n_src:
            return pos
        if not autapses and j == own:
            continue
        if out.shape[0] > 0:
            out[pos] = j
            tgt[pos] = tgt_i
        pos += 1


@nb.njit(cache=True)
def pairwise_bernoulli(keys, tgt_idx, tgt_first, src_first, n_src, p, autapses):
    """Each pair independently with probability p (geometric skipping, O(synapses))."""
    n = tgt_idx.shape[0]
    empty = np.empty(0, np.int64)
    total = 0
    for i in range(n):
        total = _bernoulli_row(
            keys[i], p, n_src, tgt_first + tgt_idx[i] - src_first, autapses, empty, total, 0, empty
        )
    src = np.empty(total, np.int64)
    tgt = np.empty(total, np.int64)
    pos = 0
    for i in range(n):
        pos = _bernoulli_row(
            keys[i],
            p,
            n_src,
            tgt_first + tgt_idx[i] - src_first,
            autapses,
            src,
            pos,
            tgt_idx[i],
            tgt,
        )
    return src, tgt


@nb.njit(cache=True)
def fixed_outdegree(keys, s_lo, src_first, tgt_first, n_tgt, k, autapses, multapses, wanted):
    """k targets per source for the sources s_lo, s_lo + 1, ... (keys[i] is the stream of
    source s_lo + i); keeps the pairs whose target offset is flagged in ``wanted`` (bool, one
    per target).  Every rank draws every source's targets: O(n_src * k) per rank."""
    count = 0
    mark = np.zeros(n_tgt if not multapses else 0, np.bool_)
    drawn = np.empty(k, np.int64)
    for sweep in range(2):
        if sweep == 1:
            src = np.empty(count, np.int64)
            tgt = np.empty(count, np.int64)
        pos = 0
        for i in range(keys.shape[0]):
            s = s_lo + i
            key = keys[i]
            own = src_first + s - tgt_first
            c = 0
            m = 0
            while m < k:
                t = uniform_index(key, c, n_tgt)
                c += 1
                if not autapses and t == own:
                    continue
                if not multapses:
                    if mark[t]:
                        continue
                    mark[t] = True
                drawn[m] = t
                m += 1
            for j in range(k):
                t = drawn[j]
                if not multapses:
                    mark[t] = False
                if wanted[t]:
                    if sweep == 1:
                        src[pos] = s
                        tgt[pos] = t
                    pos += 1
        count = pos
    return src, tgt


@nb.njit(cache=True)
def fixed_total_number(
    key, c, m, m_stop, src_first, n_src, tgt_first, n_tgt, autapses, multapses, wanted
):
    """Pairs m .. m_stop - 1 of the projection's pairs, drawn uniformly (with or without
    repeats) from all pairs, starting at counter ``c`` of the stream ``key``; every rank draws
    them all and keeps those whose target offset is flagged in ``wanted``.  Returns (source
    offsets, target offsets, the counter to continue from).  Without multapses the pairs
    already drawn are only known inside one call: draw them all in one (m = 0, m_stop =
    the total)."""
    seen = {np.int64(0): True}
    seen.clear()
    src = np.empty(m_stop - m, np.int64)
    tgt = np.empty(m_stop - m, np.int64)
    kept = 0
    while m < m_stop:
        t = uniform_index(key, c + 1, n_tgt)
        if autapses and multapses and not wanted[t]:  # the source cannot reject the pair
            c += 2
            m += 1
            continue
        s = uniform_index(key, c, n_src)
        c += 2
        if not autapses and src_first + s == tgt_first + t:
            continue
        if not multapses:
            pair = s * n_tgt + t
            if pair in seen:
                continue
            seen[pair] = True
        m += 1
        if wanted[t]:
            src[kept] = s
            tgt[kept] = t
            kept += 1
    return src[:kept], tgt[:kept], c


CONST, GIVEN = -1, -2  # value kinds of place_synapses besides draw_one's distributions


@nb.njit(cache=True)
def place_synapses(
    src,
    tgt,
    local_of,
    fill,
    seen,
    w_kind,
    w_par,
    w_key,
    w_given,
    w_shift,
    w_const,
    d_kind,
    d_par,
    d_key,
    d_given,
    d_shift,
    dt,
    syn_target,
    syn_weight,
    syn_delay,
    abs_in,
    d_range,
):
    """Put a chunk of one projection's synapses (source offsets ``src``, target offsets
    ``tgt``, in the rule's canonical order) into the source-indexed arrays.

    Synapse j goes to position q = fill[src[j]] of syn_target (then fill[src[j]] += 1), its
    target as local index ``local_of[tgt[j]]``.  ``seen[t]`` counts target t's synapses of
    the projection so far: the counter of the synapse's draws, whose stream is w_key[t]
    (weights) or d_key[t] (delays).  A weight is ``w_const`` (kind CONST, not stored), the
    chunk's ``w_given[j]`` (GIVEN) or drawn (a distributions kind, parameters ``w_par``), and
    is stored as float32 at q + w_shift[src[j]] of syn_weight; delays likewise (ms, rounded
    to steps) at q + d_shift[src[j]] of syn_delay.  ``abs_in`` sums the absolute weights of
    each local target; ``d_range`` holds the smallest and largest stored delay (steps), a
    delay beyond syn_delay's type is not stored but still widens it."""
    d_cap = np.iinfo(syn_delay.dtype).max
    n = src.shape[0]
    counter = np.empty(n, np.int64)
    for j in range(n):
        counter[j] = seen[tgt[j]]
        seen[tgt[j]] += 1
    # draws first, in loops of their own (the out-of-order core overlaps their long
    # dependency chains there), then the stores
    w = _values(w_kind, w_par, w_key, w_given, tgt, counter)
    d = _values(d_kind, d_par, d_key, d_given, tgt, counter)
    for j in range(n):
        s = src[j]
        q = fill[s]
        fill[s] = q + 1
        loc = local_of[tgt[j]]
        syn_target[q] = loc
        if w_kind == CONST:
            abs_in[loc] += abs(w_const)
        else:
            w32 = np.float32(w[j])
            syn_weight[q + w_shift[s]] = w32
            abs_in[loc] += abs(np.float64(w32))
        if d_kind != CONST:
            steps = np.int64(math.floor(d[j] / dt + 0.5))
            d_range[0] = min(d_range[0], steps)
            d_range[1] = max(d_range[1], steps)
            if steps <= d_cap:
                syn_delay[q + d_shift[s]] = steps


@nb.njit(cache=True)
def _values(kind, par, key, given, tgt, counter):
    """Per-synapse values of a chunk for place_synapses (empty when CONST)."""
    if kind == GIVEN:
        return given
    out = np.empty(0 if kind == CONST else tgt.shape[0])
    for j in range(out.shape[0]):
        out[j] = draw_one(kind, par, key[tgt[j]], counter[j])
    return out


@nb.njit(cache=True)
def row_delay_bounds(seg_ptr, seg, syn_delay):
    """Smallest and largest delay (steps) of each source row; ``seg`` columns are
    (start, weight, delay, weight offset) as in connectivity.py (delay > 0: homogeneous,
    else -(offset of the segment's delays in syn_delay) - 1)."""
    n_rows = seg_ptr.shape[0] - 1
    lo = np.empty(n_rows, np.int64)
    hi = np.empty(n_rows, np.int64)
    for r in range(n_rows):
        a = np.iinfo(np.int64).max
        b = 0
        for g in range(seg_ptr[r], seg_ptr[r + 1]):
            d = seg[g, 2]
            if d > 0:
                a = min(a, d)
                b = max(b, d)
            else:
                o = -d - 1
                for m in range(seg[g + 1, 0] - seg[g, 0]):
                    x = np.int64(syn_delay[o + m])
                    a = min(a, x)
                    b = max(b, x)
        lo[r] = a
        hi[r] = b
    return lo, hi


@nb.njit(cache=True)
def keys_for(seed, purpose, stream, gids):
    """One stream key per gid."""
    out = np.empty(gids.shape[0], np.uint64)
    for i in range(gids.shape[0]):
        out[i] = make_key(seed, purpose, stream, gids[i])
    return out
