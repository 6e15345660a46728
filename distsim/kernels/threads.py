"""Threads inside a rank: thread k owns the local neurons bounds[k] .. bounds[k + 1] - 1 (a
contiguous range), updates them and delivers into them, so that no two threads write the same
ring entry and no lock or atomic is needed (the composed ``advance`` of kernels/compose.py).
Input to a neuron is a sum of integers (kernels/fixed.py), so its bits do not depend on which
thread adds which part, and spikes are the same for any number of threads.

A thread finds its part of a list of local targets sorted by target (a synapse segment, a
Poisson stimulus's targets) by the split points computed here once; an unsorted list gets -1
and each thread checks every entry.
"""

import numba as nb
import numpy as np

from .engine import C_CYC_STIM, C_CYC_UPDATE


@nb.njit(cache=True)
def list_splits(ptr, targets, bounds):
    """For the lists ``targets[ptr[j] : ptr[j + 1]]``: split[j, k] = the first entry of list j
    whose target is >= bounds[k] (split[j, 0] = ptr[j], split[j, T] = ptr[j + 1]); a row of -1
    where a list is not sorted."""
    n_threads = bounds.shape[0] - 1
    split = np.empty((ptr.shape[0] - 1, n_threads + 1), np.int64)
    for j in range(ptr.shape[0] - 1):
        a, b = ptr[j], ptr[j + 1]
        ordered = True
        for m in range(a + 1, b):
            if targets[m] < targets[m - 1]:
                ordered = False
                break
        if not ordered:
            split[j, :] = -1
            continue
        split[j, 0] = a
        split[j, n_threads] = b
        m = a
        for k in range(1, n_threads):
            while m < b and targets[m] < bounds[k]:
                m += 1
            split[j, k] = m
    return split


@nb.njit(cache=True)
def share_cycles(wall, cyc, counters):
    """Split the ``wall`` processor cycles of a parallel part of a step over the phases
    stimuli, update and delivery (counters C_CYC_STIM, C_CYC_UPDATE, C_CYC_DELIVER) in
    proportion to the threads' own cycles in each (``cyc[k, phase]``), and reset those."""
    total = 0
    for k in range(cyc.shape[0]):
        for p in range(3):
            total += cyc[k, p]
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
def in_degree(syn_target, n):
    """The number of stored synapses onto each of the ``n`` local neurons."""
    count = np.zeros(n, np.int64)
    for m in range(syn_target.shape[0]):
        count[syn_target[m]] += 1
    return count
