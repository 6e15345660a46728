"""Threads inside a rank: thread k owns the local neurons bounds[k] .. bounds[k + 1] - 1 (a
contiguous range), updates them and delivers into them, so that no two threads write the same
ring entry and no lock or atomic is needed (the composed ``advance`` of kernels/compose.py).
Input to a neuron is a sum of integers (kernels/fixed.py), so its bits do not depend on which
thread adds which part, and spikes are the same for any number of threads.

A thread finds its part of a list of local targets (a synapse segment, a Poisson stimulus's
targets) by the split points computed here once, after the synapses of each static segment are
grouped by thread (their order within a segment changes nothing: sums of integers); a list
whose targets are not grouped so gets -1 and each thread checks every entry.
"""

import numba as nb
import numpy as np

from .engine import C_CYC_STIM, C_CYC_UPDATE
from .fixed import ring_pos, slot_after, to_fixed


@nb.njit(cache=True, inline="always")
def _owner(i, bounds):
    """The thread that owns local neuron i."""
    k = 0
    while i >= bounds[k + 1]:
        k += 1
    return k


@nb.njit(cache=True)
def _splits_if_ordered(a, b, base, targets, bounds, split, j):
    """split[j] from the targets base + targets[a .. b - 1] when they come in the order of
    their threads (True), else False."""
    n_threads = bounds.shape[0] - 1
    k = 0
    split[j, 0] = a
    for m in range(a, b):
        o = _owner(base + np.int64(targets[m]), bounds)
        if o < k:
            return False
        while k < o:
            k += 1
            split[j, k] = m
    while k < n_threads:
        k += 1
        split[j, k] = b
    return True


@nb.njit(cache=True)
def list_splits(ptr, targets, bounds):
    """For the lists ``targets[ptr[j] : ptr[j + 1]]``: list j holds the targets of thread k
    at split[j, k] .. split[j, k + 1] - 1 when its targets come in the order of their
    threads (e.g. sorted); a row of -1 where they do not."""
    split = np.empty((ptr.shape[0] - 1, bounds.shape[0]), np.int64)
    for j in range(ptr.shape[0] - 1):
        if not _splits_if_ordered(ptr[j], ptr[j + 1], 0, targets, bounds, split, j):
            split[j, :] = -1
    return split


@nb.njit(cache=True)
def group_segments(seg, movable, syn_target, syn_weight, syn_delay, bounds):
    """The split points of every synapse segment (``seg``: connectivity.SEG_* columns) as
    ``list_splits`` (targets SEG_BASE + syn_target), after reordering the synapses of each
    ``movable`` segment whose targets are not in the order of their threads by thread,
    keeping their order within a thread (with their drawn weights and delays): a stable
    counting sort in place."""
    n_threads = bounds.shape[0] - 1
    split = np.empty((seg.shape[0] - 1, n_threads + 1), np.int64)
    count = np.zeros(n_threads + 1, np.int64)
    t_buf = np.empty(0, syn_target.dtype)
    w_buf = np.empty(0, syn_weight.dtype)
    d_buf = np.empty(0, syn_delay.dtype)
    for s in range(seg.shape[0] - 1):
        a, b, d, wofs, base = seg[s, 0], seg[s + 1, 0], seg[s, 2], seg[s, 3], seg[s, 4]
        if _splits_if_ordered(a, b, base, syn_target, bounds, split, s):
            continue
        if not movable[s]:
            split[s, :] = -1
            continue
        n = b - a
        if n > t_buf.shape[0]:
            t_buf = np.empty(2 * n, syn_target.dtype)
            w_buf = np.empty(2 * n, syn_weight.dtype)
            d_buf = np.empty(2 * n, syn_delay.dtype)
        count[:] = 0
        for m in range(a, b):
            count[_owner(base + np.int64(syn_target[m]), bounds) + 1] += 1
        for k in range(n_threads):
            count[k + 1] += count[k]
            split[s, k] = a + count[k]
        split[s, n_threads] = b
        for m in range(a, b):
            o = _owner(base + np.int64(syn_target[m]), bounds)
            q = count[o]
            count[o] = q + 1
            t_buf[q] = syn_target[m]
            if wofs >= 0:
                w_buf[q] = syn_weight[wofs + m - a]
            if d <= 0:
                d_buf[q] = syn_delay[-d - 1 + m - a]
        for q in range(n):
            syn_target[a + q] = t_buf[q]
            if wofs >= 0:
                syn_weight[wofs + q] = w_buf[q]
            if d <= 0:
                syn_delay[-d - 1 + q] = d_buf[q]
    return split


@nb.njit(cache=True)
def _part(a, b, a0, cut, wofs, d, base, syn_target, syn_weight, syn_delay):
    """Reorder the synapses a .. b - 1 of a segment that starts at synapse a0 (fields as in
    group_segments) in place so that those onto neurons below ``cut`` come first; returns
    where the others begin."""
    lo, hi = a, b - 1
    while True:
        while lo <= hi and base + np.int64(syn_target[lo]) < cut:
            lo += 1
        while lo <= hi and base + np.int64(syn_target[hi]) >= cut:
            hi -= 1
        if lo >= hi:
            return lo
        syn_target[lo], syn_target[hi] = syn_target[hi], syn_target[lo]
        if wofs >= 0:
            i, j = wofs + lo - a0, wofs + hi - a0
            syn_weight[i], syn_weight[j] = syn_weight[j], syn_weight[i]
        if d <= 0:
            i, j = -d - 1 + lo - a0, -d - 1 + hi - a0
            syn_delay[i], syn_delay[j] = syn_delay[j], syn_delay[i]


@nb.njit(cache=True, parallel=True)
def move_cuts(seg, movable, syn_target, syn_weight, syn_delay, old, new, split):
    """Regroup the synapses of group_segments' ``split`` (bounds ``old``) for the bounds
    ``new`` in place, moving only the synapses onto neurons that change thread: each cut
    k moves within the old ranges of threads k - 1 and k, so the part of the thread that
    gives neurons away is partitioned at the new cut.  A segment that is not movable keeps
    its order: its split points are looked up again (-1 when no longer in thread order)."""
    n_threads = old.shape[0] - 1
    for s in nb.prange(seg.shape[0] - 1):
        if split[s, 0] < 0:
            continue
        a, b, d, wofs, base = seg[s, 0], seg[s + 1, 0], seg[s, 2], seg[s, 3], seg[s, 4]
        if not movable[s]:
            if not _splits_if_ordered(a, b, base, syn_target, new, split, s):
                split[s, :] = -1
            continue
        for k in range(1, n_threads):
            giver = k if new[k] > old[k] else k - 1  # the thread that gives neurons away
            split[s, k] = _part(split[s, giver], split[s, giver + 1], a, new[k], wofs, d,
                                base, syn_target, syn_weight, syn_delay)  # fmt: skip


@nb.njit(cache=True)
def share_cycles(wall, cyc, counters):
    """Split the ``wall`` processor cycles of a parallel part of a step over the phases
    stimuli, update and delivery (counters C_CYC_STIM, C_CYC_UPDATE, C_CYC_DELIVER) in
    proportion to the threads' own cycles in each (``cyc[k, phase]``), and reset those; each
    thread's own cycles add up in cyc[k, 3] (its work, simulation/threads.py balances it)."""
    total = 0
    for k in range(cyc.shape[0]):
        for p in range(3):
            total += cyc[k, p]
            cyc[k, 3] += cyc[k, p]
    if total <= 0:
        counters[C_CYC_UPDATE] += wall
        return
    for p in range(3):
        part = 0
        for k in range(cyc.shape[0]):
            part += cyc[k, p]
            cyc[k, p] = 0
        counters[C_CYC_STIM + p] += np.int64(wall * (part / total))


@nb.njit(cache=True)
def in_degree(seg, syn_target, n):
    """The number of stored synapses onto each of the ``n`` local neurons (segments ``seg``:
    connectivity.SEG_* columns)."""
    count = np.zeros(n, np.int64)
    for s in range(seg.shape[0] - 1):
        base = seg[s, 4]
        for m in range(seg[s, 0], seg[s + 1, 0]):
            count[base + np.int64(syn_target[m])] += 1
    return count


@nb.njit(cache=True)
def unsorted_part(t, a, b, wq, d, wofs, ns, lo, hi, flat, n_cols, base, syn_target,
                  syn_weight, syn_delay):  # fmt: skip
    """The synapses a .. b - 1 of a segment (its first is a; fields as in
    fixed.static_positions) whose targets are not sorted, for a spike of step t: those onto
    the neurons lo .. hi - 1 added to the ring (``flat``, rows of n_cols); returns how many."""
    n = 0
    t_slot = t % ns
    for m in range(a, b):
        i = base + np.int64(syn_target[m])
        if i < lo or i >= hi:
            continue
        w = wq if wofs < 0 else to_fixed(np.float64(syn_weight[wofs + m - a]))
        dd = d if d > 0 else np.int64(syn_delay[-d - 1 + m - a])
        flat[ring_pos(w, slot_after(t_slot, dd, ns), ns, n_cols, i)] += w
        n += 1
    return n
