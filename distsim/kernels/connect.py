"""Connection generation kernels.  Every draw is keyed so that a target's (or, for the
out-degree and total-number rules, a source's) synapses do not depend on the partition.

All functions return pairs (source offset in the source population, target offset in the
target population) for the wanted targets only, in a canonical order.
"""
import math

import numba as nb
import numpy as np

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
        total = _bernoulli_row(keys[i], p, n_src, tgt_first + tgt_idx[i] - src_first,
                               autapses, empty, total, 0, empty)
    src = np.empty(total, np.int64)
    tgt = np.empty(total, np.int64)
    pos = 0
    for i in range(n):
        pos = _bernoulli_row(keys[i], p, n_src, tgt_first + tgt_idx[i] - src_first,
                             autapses, src, pos, tgt_idx[i], tgt)
    return src, tgt


@nb.njit(cache=True)
def fixed_outdegree(keys, src_first, n_src, tgt_first, n_tgt, k, autapses, multapses, wanted):
    """k targets per source (keys[s] is the stream of source s); keeps pairs whose target
    offset is flagged in ``wanted`` (bool, one per target).  Cost O(n_src * k) on every rank."""
    count = 0
    mark = np.zeros(n_tgt if not multapses else 0, np.bool_)
    drawn = np.empty(k, np.int64)
    for sweep in range(2):
        if sweep == 1:
            src = np.empty(count, np.int64)
            tgt = np.empty(count, np.int64)
        pos = 0
        for s in range(n_src):
            key = keys[s]
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
def fixed_total_number(key, total, src_first, n_src, tgt_first, n_tgt, autapses, multapses,
                       wanted):
    """``total`` pairs drawn uniformly (with or without repeats) from all pairs; every rank
    draws all pairs and keeps those whose target offset is flagged in ``wanted``."""
    seen = {np.int64(0): True}
    seen.clear()
    src_all = np.empty(total, np.int64)
    tgt_all = np.empty(total, np.int64)
    c = 0
    m = 0
    while m < total:
        s = uniform_index(key, c, n_src)
        t = uniform_index(key, c + 1, n_tgt)
        c += 2
        if not autapses and src_first + s == tgt_first + t:
            continue
        if not multapses:
            pair = s * n_tgt + t
            if pair in seen:
                continue
            seen[pair] = True
        src_all[m] = s
        tgt_all[m] = t
        m += 1
    keep = np.empty(total, np.bool_)
    for i in range(total):
        keep[i] = wanted[tgt_all[i]]
    return src_all[keep], tgt_all[keep]


@nb.njit(cache=True)
def assemble_csr(rows, n_rows, sizes, proj_index, proj_wq, proj_dconst, has_w, has_d, targets,
                 weights, delays):
    """Source-indexed CSR from synapses given projection after projection.

    ``rows[s]`` is the source row of synapse s; projection k owns the next ``sizes[k]``
    synapses; ``weights`` / ``delays`` hold, in the same order, the per-synapse values of
    the projections flagged in ``has_w`` / ``has_d``.  A stable counting sort by row keeps
    projection order (then target order) within a row; each run of one projection in a row
    becomes a segment with its weight and delay either homogeneous (seg_wq, seg_delay) or
    at offsets seg_wofs / seg_dofs of syn_weight / syn_delay.
    """
    n_syn = rows.shape[0]
    n_proj = sizes.shape[0]
    proj_of = np.empty(n_syn, np.int32)
    pos = 0
    for k in range(n_proj):
        for m in range(sizes[k]):
            proj_of[pos + m] = k
        pos += sizes[k]
    # stable counting sort by row
    start = np.zeros(n_rows + 1, np.int64)
    for s in range(n_syn):
        start[rows[s] + 1] += 1
    for r in range(n_rows):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    order = np.empty(n_syn, np.int64)
    for s in range(n_syn):
        r = rows[s]
        order[fill[r]] = s
        fill[r] += 1
    # per-synapse weight / delay index of each synapse (-1 if homogeneous)
    w_idx = np.full(n_syn if weights.shape[0] else 0, -1, np.int64)
    d_idx = np.full(n_syn if delays.shape[0] else 0, -1, np.int64)
    pos = 0
    wpos = 0
    dpos = 0
    for k in range(n_proj):
        for m in range(sizes[k]):
            if has_w[k]:
                w_idx[pos + m] = wpos
                wpos += 1
            if has_d[k]:
                d_idx[pos + m] = dpos
                dpos += 1
        pos += sizes[k]
    # segments
    n_seg = 0
    for r in range(n_rows):
        for q in range(start[r], start[r + 1]):
            if q == start[r] or proj_of[order[q]] != proj_of[order[q - 1]]:
                n_seg += 1
    seg_ptr = np.zeros(n_rows + 1, np.int64)
    seg_start = np.empty(n_seg + 1, np.int64)
    seg_proj = np.empty(n_seg, np.int32)
    seg_wq = np.zeros(n_seg, np.int64)
    seg_wofs = np.full(n_seg, -1, np.int64)
    seg_delay = np.zeros(n_seg, np.int64)
    seg_dofs = np.full(n_seg, -1, np.int64)
    syn_target = np.empty(n_syn, targets.dtype)
    syn_weight = np.empty(weights.shape[0], np.float32)
    syn_delay = np.empty(delays.shape[0], delays.dtype)
    g = -1
    wout = 0
    dout = 0
    for r in range(n_rows):
        for q in range(start[r], start[r + 1]):
            s = order[q]
            k = proj_of[s]
            if q == start[r] or k != proj_of[order[q - 1]]:
                g += 1
                seg_start[g] = q
                seg_proj[g] = proj_index[k]
                if has_w[k]:
                    seg_wofs[g] = wout
                else:
                    seg_wq[g] = proj_wq[k]
                if has_d[k]:
                    seg_dofs[g] = dout
                else:
                    seg_delay[g] = proj_dconst[k]
            syn_target[q] = targets[s]
            if has_w[k]:
                syn_weight[wout] = weights[w_idx[s]]
                wout += 1
            if has_d[k]:
                syn_delay[dout] = delays[d_idx[s]]
                dout += 1
        seg_ptr[r + 1] = g + 1
    seg_start[n_seg] = n_syn
    return (seg_ptr, seg_start, seg_proj, seg_wq, seg_wofs, seg_delay, seg_dofs, syn_target,
            syn_weight, syn_delay)


@nb.njit(cache=True)
def stable_order(keys, n_keys):
    """Permutation sorting integer keys in [0, n_keys) stably (counting sort, O(n + n_keys))."""
    start = np.zeros(n_keys + 1, np.int64)
    for i in range(keys.shape[0]):
        start[keys[i] + 1] += 1
    for k in range(n_keys):
        start[k + 1] += start[k]
    order = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        k = keys[i]
        order[start[k]] = i
        start[k] += 1
    return order


@nb.njit(cache=True)
def positions_in_groups(sorted_keys):
    """For keys sorted into groups, the position of each element inside its group."""
    out = np.empty(sorted_keys.shape[0], np.int64)
    j = 0
    for i in range(sorted_keys.shape[0]):
        if i > 0 and sorted_keys[i] != sorted_keys[i - 1]:
            j = 0
        out[i] = j
        j += 1
    return out


@nb.njit(cache=True)
def keys_for(seed, purpose, stream, gids):
    """One stream key per gid."""
    out = np.empty(gids.shape[0], np.uint64)
    for i in range(gids.shape[0]):
        out[i] = make_key(seed, purpose, stream, gids[i])
    return out
