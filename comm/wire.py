"""The spike wire format between ranks: one int64 per spike, ``gid << LAG_BITS | (step -
base)``, where ``base`` is the step before the chunk of steps it was emitted in (the
receiver knows it: it travels in the message or the exchange's schedule); a chunk spans at
most MAX_CHUNK steps."""

import numba as nb
import numpy as np

LAG_BITS = 16
MAX_CHUNK = (1 << LAG_BITS) - 1  # steps in one exchange window or async chunk


@nb.njit(cache=True)
def pack(out_step, out_local, n, send_ptr, send_rank, local_gid, base, size):
    """Outgoing spikes -> one int64 per (spike, destination rank), ``gid << LAG_BITS |
    (step - base)``, grouped by destination; returns (packed, counts per rank)."""
    counts = np.zeros(size, np.int64)
    for k in range(n):
        i = out_local[k]
        for j in range(send_ptr[i], send_ptr[i + 1]):
            counts[send_rank[j]] += 1
    offsets = np.zeros(size, np.int64)
    for r in range(1, size):
        offsets[r] = offsets[r - 1] + counts[r - 1]
    packed = np.empty(offsets[size - 1] + counts[size - 1], np.int64)
    for k in range(n):
        i = out_local[k]
        word = (local_gid[i] << LAG_BITS) | (out_step[k] - base)
        for j in range(send_ptr[i], send_ptr[i + 1]):
            r = send_rank[j]
            packed[offsets[r]] = word
            offsets[r] += 1
    return packed, counts


@nb.njit(cache=True)
def unpack(packed, base, row_gid, row_max_delay, last_slot_step, steps, rows):
    """Packed spikes -> steps and source rows (binary search in row_gid), the spikes whose
    arrival steps all fit in the ring (step + longest delay <= last_slot_step) first.
    Returns (number that fit, number whose gid has no row here: a routing error)."""
    mask = (np.int64(1) << LAG_BITS) - 1
    unknown = 0
    n_rows = row_gid.shape[0]
    front = 0
    back = packed.shape[0]
    for k in range(packed.shape[0]):
        gid = packed[k] >> LAG_BITS
        step = base + (packed[k] & mask)
        lo, hi = 0, n_rows
        while lo < hi:
            mid = (lo + hi) >> 1
            if row_gid[mid] < gid:
                lo = mid + 1
            else:
                hi = mid
        if lo == n_rows or row_gid[lo] != gid:
            unknown += 1
            continue
        if step + row_max_delay[lo] <= last_slot_step:
            steps[front] = step
            rows[front] = lo
            front += 1
        else:
            back -= 1
            steps[back] = step
            rows[back] = lo
    return front, unknown
