"""Input waiting for its step: the ring buffers of fixed-point synaptic input and DC current
(kernels/engine.py), and the lists of event-driven neurons with input in each slot
(``touch[slot]``, ``listed[slot, i]``: neurons/NeuronGroups.make_event_driven)."""

import numpy as np

from .. import arrays
from ..errors import StoreError
from ..kernels.state import Input


class SynapticInput:
    """``ns`` slots for ``n_local`` neurons; ``arrays``: the kernels' Input."""

    def __init__(self, ns, n_local, lazy_local):
        self.ns = ns
        self.lazy_local = lazy_local
        n_lazy = lazy_local.size
        self.arrays = Input(
            arrays.zeros((2 * ns, n_local), np.int64),
            arrays.zeros((ns, n_local)),
            arrays.zeros((ns, n_lazy), np.int32),
            arrays.zeros(ns, np.int64),
            arrays.zeros((ns, n_local if n_lazy else 0), np.uint8),
        )

    @property
    def ring(self):
        return self.arrays.ring

    def reset_event_lists(self, step, last):
        """Event-driven neurons are up to date at ``step`` (``last``: their last computed
        step); list those with input in each future slot from the ring buffer, and all of
        them in the next step (a neuron starting at or above threshold fires there, as in a
        step-by-step update)."""
        lazy, ns, a = self.lazy_local, self.ns, self.arrays
        last[lazy] = step
        a.n_touch[:] = 0
        a.listed[:] = 0
        for j in range(1, ns):
            slot = (step + j) % ns
            if j == 1:
                listed = lazy
            else:
                listed = lazy[(a.ring[slot, lazy] != 0) | (a.ring[ns + slot, lazy] != 0)]
            a.touch[slot, : listed.size] = listed
            a.listed[slot, listed] = 1
            a.n_touch[slot] = listed.size

    def future(self, step, horizon):
        """The input arriving in steps step+1 .. step+horizon: int64 [2, horizon, n]
        (excitatory, inhibitory), exact (fixed point), so it can be redistributed."""
        ns, ring = self.ns, self.arrays.ring
        out = np.zeros((2, horizon, ring.shape[1]), np.int64)
        for j in range(ns - 1):
            slot = (step + 1 + j) % ns
            out[0, j] = ring[slot]
            out[1, j] = ring[ns + slot]
        return out

    def put_future(self, step, future, idx):
        """Add checkpointed ``future`` input (as ``future`` gives it) of local neurons
        ``idx`` to the ring, for the steps after ``step``."""
        ns, ring = self.ns, self.arrays.ring
        for j in range(future.shape[1]):
            if j >= ns - 1:
                if future[:, j].any():
                    raise StoreError(
                        f"checkpoint: input {j + 1} steps ahead exceeds the delays of this "
                        f"network ({ns - 1} steps); the checkpoint belongs to another network"
                    )
                continue
            slot = (step + 1 + j) % ns
            ring[slot, idx] = future[0, j]
            ring[ns + slot, idx] = future[1, j]
