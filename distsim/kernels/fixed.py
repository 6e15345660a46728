"""Fixed-point synaptic input: weights become int64 multiples of 2**-FIXED_BITS, so sums of
them do not depend on the order in which spikes arrive, added to the engine's ring
(kernels/engine.py) at ``ring_pos``."""

import numba as nb
import numpy as np

FIXED_BITS = 36
FIXED_SCALE = float(2**FIXED_BITS)
FIXED_INV = 1.0 / FIXED_SCALE


@nb.njit(cache=True)
def to_fixed(w):
    """Weight (float) -> fixed-point int64, rounded half away from zero."""
    return np.int64(w * FIXED_SCALE + (0.5 if w >= 0.0 else -0.5))


@nb.njit(cache=True, inline="always")
def ring_pos(wq, slot, ns, n_cols, i):
    """Flat position in the engine's ring (2 ns rows of n_cols) of fixed-point weight wq onto
    local neuron i arriving in ``slot``: channel 0 (rows 0 .. ns - 1) for wq >= 0, 1 below."""
    return (slot + (0 if wq >= 0 else ns)) * n_cols + np.int64(i)


@nb.njit(cache=True, inline="always")
def slot_after(t_slot, d, ns):
    """The ring slot (t + d) % ns from t_slot = t % ns, without an integer division: the ring
    holds every delay (0 < d < ns)."""
    slot = t_slot + d
    return slot - ns if slot >= ns else slot


@nb.njit(cache=True)
def static_positions(t, a, b, a0, wq, d, wofs, now, ns, n_cols, base, syn_target, syn_weight,
                     syn_delay, ibuf, qbuf):  # fmt: skip
    """Ring positions and fixed-point weights of the static synapses a .. b - 1 of a segment
    that starts at synapse a0 (connectivity.py: targets base + syn_target; weight ``wq`` or,
    ``wofs`` >= 0, drawn weights from syn_weight[wofs]; delay ``d`` > 0 steps or drawn delays
    from syn_delay[-d - 1]) for a spike of step t, into ibuf/qbuf[: b - a].  Returns the number
    arriving in or before step ``now`` (late)."""
    t_slot = t % ns
    slot = (t + d) % ns
    late = b - a if d > 0 and t + d <= now else 0
    for m in range(a, b):
        if wofs >= 0:
            wq = to_fixed(np.float64(syn_weight[wofs + m - a0]))
        if d <= 0:
            dd = np.int64(syn_delay[-d - 1 + m - a0])
            if t + dd <= now:
                late += 1
            slot = slot_after(t_slot, dd, ns)
        ibuf[m - a] = ring_pos(wq, slot, ns, n_cols, base + np.int64(syn_target[m]))
        qbuf[m - a] = wq
    return late
