"""Input waiting for its step: the ring buffers of fixed-point synaptic input and DC current
(kernels/engine.py), the lists of event-driven neurons with input in each slot
(``touch[slot]``, ``listed[slot, i]``: neurons/NeuronGroups.make_event_driven), and the far
queue of procedural input arriving beyond the ring (kernels/procedural.py)."""

import numpy as np

from .. import arrays
from ..errors import StoreError
from ..kernels import procedural as kp
from ..kernels.state import Input, far_pool

FAR_POOL_CHUNKS = 1 << 10  # first capacity of the far queue (it doubles when full)
DENSE_RING_BYTES = 1 << 28  # a ring of every delay up to this size; beyond it
NEAR_RING_SLOTS = 40  # a ring of this many slots and the far queue for procedural input


class SynapticInput:
    """``ns`` slots for ``n_local`` neurons (DC current only ``dc``: one row of zeros
    otherwise); ``far_steps`` > 0: procedural delays up to that many steps, the input
    beyond the ring waits in the far queue, in buckets of arrival step (twice the longest
    delay, so that spikes of a rank that runs ahead find theirs free); ``procedural``: the
    network has procedural synapses (their kernels take the queue's pool as a typed List);
    ``arrays``: the kernels' Input."""

    def __init__(self, ns, n_local, lazy_local, far_steps=0, dc=True, procedural=False):
        self.ns = ns
        self.lazy_local = lazy_local
        n_lazy = lazy_local.size
        n_far = 1 << int(2 * far_steps + 1).bit_length() if far_steps else 1
        self.arrays = Input(
            arrays.zeros_huge((2 * ns, n_local), np.int64),
            arrays.zeros((ns if dc else 1, n_local)),
            arrays.zeros((ns, n_lazy), np.int32),
            arrays.zeros(ns, np.int64),
            arrays.zeros((ns, n_local if n_lazy else 0), np.uint8),
            np.full(n_far, -1, np.int64),
            np.full(n_far, -1, np.int64),
            np.zeros(n_far, np.int64),
            far_pool(FAR_POOL_CHUNKS if far_steps else 1, kp.FAR_CHUNK, procedural),
            np.array([0, 0, FAR_POOL_CHUNKS if far_steps else 1], np.int64),
        )
        self.far = bool(far_steps)

    @property
    def far_nodes(self):
        """Entries in the far queue now, and its capacity."""
        if not self.far:
            return 0, 0
        chunks = self.arrays.far_pool[0].shape[0]
        return int(self.arrays.far_meta[kp.FAR_USED]), int(chunks * kp.FAR_CHUNK)

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
        """The input arriving in steps step+1 .. step+horizon from the ring: int64 [2,
        horizon, n] (excitatory, inhibitory), exact (fixed point), so it can be
        redistributed; beyond the ring (procedural input) see ``far_events``."""
        ns, ring = self.ns, self.arrays.ring
        out = np.zeros((2, horizon, ring.shape[1]), np.int64)
        for j in range(min(ns - 1, horizon)):
            slot = (step + 1 + j) % ns
            out[0, j] = ring[slot]
            out[1, j] = ring[ns + slot]
        return out

    def far_events(self, step):
        """The far queue's input: (arrival steps, local indices, fixed-point weights)."""
        return kp.far_events(self.arrays, step)

    def put_future(self, step, future, idx):
        """Add checkpointed ``future`` input (as ``future`` gives it) of local neurons
        ``idx`` to the ring, for the steps after ``step``; what lies beyond the ring goes to
        the far queue, when there is one."""
        ns, ring = self.ns, self.arrays.ring
        for j in range(future.shape[1]):
            if j >= ns - 1:
                if future[:, j].any():
                    if not self.far:
                        raise StoreError(
                            f"checkpoint: input {j + 1} steps ahead exceeds the delays of this "
                            f"network ({ns - 1} steps); the checkpoint belongs to another "
                            f"network"
                        )
                    for c in (0, 1):
                        hit = np.flatnonzero(future[c, j])
                        self.put_events(
                            step, np.full(hit.size, step + 1 + j), idx[hit], future[c, j, hit]
                        )
                continue
            slot = (step + 1 + j) % ns
            ring[slot, idx] += future[0, j]
            ring[ns + slot, idx] += future[1, j]

    def put_events(self, step, arrival, local, wq):
        """Add fixed-point input ``wq`` for local neurons ``local`` in steps ``arrival``
        (after ``step``): into the ring, or beyond it into the far queue."""
        ns, a = self.ns, self.arrays
        near = arrival - step < ns
        if not self.far and not near.all():
            raise StoreError(
                f"checkpoint: input {int((arrival - step).max())} steps ahead exceeds the "
                f"delays of this network ({ns - 1} steps); the checkpoint belongs to another "
                f"network"
            )
        rows = arrival[near] % ns + np.where(wq[near] >= 0, 0, ns)
        np.add.at(a.ring, (rows, local[near]), wq[near])
        far = ~near
        kp.far_push_many(arrival[far], local[far], wq[far], a)
