"""Fixed-point synaptic input: weights become int64 multiples of 2**-FIXED_BITS, so sums of
them do not depend on the order in which spikes arrive (kernels/engine.py)."""
import numba as nb
import numpy as np

FIXED_BITS = 36
FIXED_SCALE = float(2 ** FIXED_BITS)
FIXED_INV = 1.0 / FIXED_SCALE


@nb.njit(cache=True)
def to_fixed(w):
    """Weight (float) -> fixed-point int64, rounded half away from zero."""
    return np.int64(w * FIXED_SCALE + (0.5 if w >= 0.0 else -0.5))
