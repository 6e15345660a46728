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
def counting_sort(keys, n_keys):
    """Stable permutation sorting integer keys in [0, n_keys) and the key offsets (CSR)."""
    counts = np.zeros(n_keys + 1, np.int64)
    for i in range(keys.shape[0]):
        counts[keys[i] + 1] += 1
    for j in range(n_keys):
        counts[j + 1] += counts[j]
    offsets = counts.copy()
    perm = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        perm[counts[keys[i]]] = i
        counts[keys[i]] += 1
    return perm, offsets


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
