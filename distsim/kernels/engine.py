"""The per-rank event-driven core: one call advances all local neurons by a span of steps.

Step numbering: step t integrates the state from (t-1) dt to t dt.  A spike emitted in step t
has time t dt (NEST's spike time) and, over a connection of delay d steps, is read in step
t + d.  Synaptic input waits in a ring buffer ``ring[channel * ns + (t % ns), i]`` of int64
fixed-point values (weight * 2**FIXED_BITS): sums of integers do not depend on the order in
which spikes arrive, so input to a neuron is bit-identical for any partition.  Channel 0
collects positive (excitatory), channel 1 negative (inhibitory) weights.  ``cur[t % ns, i]``
holds DC current (pA) arriving in step t; it acts from step t + 1 on, as NEST's I_0.  A DC
input of window (start, stop] and delay d is emitted in steps start/dt .. stop/dt - 1, so it
is integrated in the steps ending in (start + d, stop + d], as NEST's dc_generator.

The kernels that run the steps, ``advance`` and ``deliver``, are composed per network from
the models and rules it uses (compose.py); this module holds what they share.

Schedule of one step t:
  1. stimuli: Poisson counts emitted in step t - d (keyed by (stimulus, gid, t - d); emitted
     in steps ending in (start, stop]) and DC currents are added to slot t;
  2. every neuron group is updated (parameters of neuron i in column
     grp_pbase[g] + (i - grp_lo[g]) * grp_pstride[g] of ``par``: stride 0 when the whole
     population shares one parameter set) with its model's exact propagator, reading and clearing
     slot t; threshold crossings are collected; spike sources emit their scheduled spikes;
     event-driven groups (iaf_psc_delta with nothing but synaptic input, see its
     ``update_events``) compute only the neurons whose input arrives in step t, listed in
     ``touch[t % ns]`` by ``deliver``;
  3. each spike is recorded (if its neuron is recorded), queued for the ranks that hold
     targets of it (if any), and delivered through the source-indexed CSR table into slots
     t + d of its local targets.  Spikes from other ranks are delivered by the same
     ``deliver`` kernel when they arrive, always before their slot is read.
"""

import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

from ..rng import GOLDEN, INV_2_53, POISSON_INVERSION_MAX, poisson_ptrs, splitmix64

# counters (int64 array shared with Python)
C_RECORDED, C_SPIKES, C_EVENTS, C_SCHEDULE, C_OUT = 0, 1, 2, 3, 4
C_DA_LATE = 6  # dopamine arrivals of local neurons refused as late (never: checked after runs)
# processor cycles spent in stimuli, neuron updates, delivering stored synapses,
# regenerating procedural ones and emptying the far queue into the ring (``advance`` reads
# ``cycles`` around each)
C_CYC_STIM, C_CYC_UPDATE, C_CYC_DELIVER, C_CYC_PROC, C_CYC_FAR = 7, 8, 9, 10, 11
N_COUNTERS = 12  # and plasticity.C_HIST_FULL = 5


@intrinsic
def cycles(typingctx):
    """The processor's cycle counter (LLVM's readcyclecounter: rdtsc on x86-64; 0 where the
    processor has none), a few nanoseconds to read."""

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
        return builder.call(fn, [])

    return nb.types.int64(), codegen


@nb.njit(cache=True)
def read_cycles():
    """``cycles`` from Python (to convert cycles to seconds)."""
    return cycles()


@nb.njit(cache=True)
def stimulate(t, ns, inp, stim, lo, hi, split, k):
    """Add the Poisson counts and DC currents that arrive in step t to slot t % ns, for the
    local neurons lo .. hi - 1 (a thread's: kernels/threads.py).  ``split``: the targets of
    Poisson stimulus j in that range are entries split[j, k] .. split[j, k + 1] - 1 of its
    list (-1: its list is not sorted, every entry is checked); empty: all of them."""
    ring, cur = inp.ring, inp.cur
    pz_ptr, pz_local, pz_key, pz_lam = stim.pz_ptr, stim.pz_local, stim.pz_key, stim.pz_lam
    pz_cdf, pz_guide, pz_wq, pz_delay = stim.pz_cdf, stim.pz_guide, stim.pz_wq, stim.pz_delay
    dc_ptr, dc_local, dc_amp, dc_delay = stim.dc_ptr, stim.dc_local, stim.dc_amp, stim.dc_delay
    slot = t % ns
    for j in range(pz_ptr.shape[0] - 1):
        te = t - pz_delay[j]
        if stim.pz_start[j] < te and te <= stim.pz_stop[j]:
            lam, wq = pz_lam[j], pz_wq[j]
            line = ring[slot + (0 if wq >= 0 else ns)]
            a, b, checked = pz_ptr[j], pz_ptr[j + 1], False
            if split.shape[0]:
                if split[j, k] >= 0:
                    a, b = split[j, k], split[j, k + 1]
                else:
                    checked = True
            for m in range(a, b):
                i = pz_local[m]
                if checked and not (lo <= i and i < hi):
                    continue
                z = splitmix64(pz_key[m] + np.uint64(te) * GOLDEN)
                if lam < POISSON_INVERSION_MAX:  # guided inversion of the CDF, one uniform
                    u = np.float64(z >> np.uint64(11)) * INV_2_53
                    n = pz_guide[j, z >> np.uint64(58)]  # floor(u * POISSON_TABLE)
                    while u >= pz_cdf[j, n]:
                        n += 1
                else:
                    n = poisson_ptrs(z, lam)
                if n > 0:
                    line[i] += n * wq
    for j in range(dc_ptr.shape[0] - 1):
        te = t - dc_delay[j]
        if stim.dc_start[j] <= te and te < stim.dc_stop[j]:
            for m in range(dc_ptr[j], dc_ptr[j + 1]):
                i = dc_local[m]
                if lo <= i and i < hi:
                    cur[slot, i] += dc_amp[j]


@nb.njit(cache=True)
def count_active(ex_line, in_line, nrn, active, lo, hi):
    """Count the neurons lo .. hi - 1 of groups that are not event-driven with synaptic input
    in this step's slot."""
    for g in range(nrn.lo.shape[0]):
        if not nrn.lazy[g]:
            for i in range(max(nrn.lo[g], lo), min(nrn.hi[g], hi)):
                if ex_line[i] != 0 or in_line[i] != 0:
                    active[i] += 1


@nb.njit(cache=True)
def count_active_touched(slot, ex_line, in_line, inp, active):
    """Count the neurons of event-driven groups with synaptic input in this step's slot (only
    those listed for it, so counting keeps their cost proportional to events)."""
    for k in range(inp.n_touch[slot]):
        i = inp.touch[slot, k]
        if ex_line[i] != 0 or in_line[i] != 0:
            active[i] += 1
