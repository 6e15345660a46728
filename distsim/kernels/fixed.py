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
