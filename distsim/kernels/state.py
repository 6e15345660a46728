"""The arrays one rank's kernels work on, in named groups (NamedTuples: numba passes them as
one argument and reads their fields by name).  Each group has one owner among the parts of
the simulation (distsim/simulation/), which builds it and replaces it when an array grows.

Shapes: ``n`` local neurons, ``g`` neuron groups (one per population), ``ns`` ring slots,
``R`` parameter rows and ``S`` state rows (models/base.py), ``c`` parameter columns.
"""

from typing import NamedTuple

import numpy as np


class Neurons(NamedTuple):
    """Neuron groups (simulation/neurons.py).  Neuron i of group g uses parameter column
    ``pbase[g] + (i - lo[g]) * pstride[g]`` of ``par`` (stride 0: one set for the group)."""

    model: np.ndarray  # int64 [g]  registry id of each group's model (models/__init__.py)
    lo: np.ndarray  # int64 [g]  first local neuron of the group
    hi: np.ndarray  # int64 [g]  one past its last
    pbase: np.ndarray  # int64 [g]
    pstride: np.ndarray  # int64 [g]
    lazy: np.ndarray  # uint8 [g]  event-driven groups (simulation/events.py)
    par: np.ndarray  # float64 [R, c]
    st: np.ndarray  # float64 [S, n]
    refr: np.ndarray  # int32 [n]  refractory steps left
    lazy_col: np.ndarray  # int64 [n] parameter column of event-driven neurons (else empty)
    last: np.ndarray  # int64 [n] step an event-driven neuron was last computed (else empty)


class Input(NamedTuple):
    """Synaptic and DC input waiting for its step (simulation/synaptic_input.py), the lists
    of event-driven neurons with input in each slot, and the far queue: procedural input
    arriving beyond the ring, a linked list per step (kernels/procedural.py)."""

    ring: np.ndarray  # int64 [2 ns, n]  fixed-point input, excitatory then inhibitory
    cur: np.ndarray  # float64 [ns, n]  DC current (pA) arriving in each slot
    touch: np.ndarray  # int32 [ns, n_lazy]  event-driven neurons with input in the slot
    n_touch: np.ndarray  # int64 [ns]
    listed: np.ndarray  # uint8 [ns, n]  1 when neuron i is in touch[slot]
    far_head: np.ndarray  # int64 [F]: first chunk of the input of each step (step mod F)
    far_tail: np.ndarray  # int64 [F]: its last chunk (-1: none), being filled
    far_fill: np.ndarray  # int64 [F]: entries in the last chunk
    far_pool: object  # typed List of one int64 [chunks, 2, FAR_CHUNK + 1] (state.far_pool)
    far_meta: np.ndarray  # int64 [3]: first free chunk, entries queued, free chunks


class Stimuli(NamedTuple):
    """Poisson and DC stimuli as CSR lists of their local targets, and the spike sources'
    schedule (simulation/stimuli.py)."""

    pz_ptr: np.ndarray  # int64 [p + 1]
    pz_local: np.ndarray  # int64: local targets
    pz_key: np.ndarray  # uint64: a stream key per target
    pz_lam: np.ndarray  # float64 [p]: expected count per step
    pz_cdf: np.ndarray  # float64 [p, POISSON_TABLE]
    pz_guide: np.ndarray  # int64 [p, POISSON_TABLE]
    pz_wq: np.ndarray  # int64 [p]: fixed-point weight
    pz_delay: np.ndarray  # int64 [p] steps
    pz_start: np.ndarray  # int64 [p] emission window (start, stop] in steps
    pz_stop: np.ndarray
    dc_ptr: np.ndarray  # int64 [q + 1]
    dc_local: np.ndarray
    dc_amp: np.ndarray  # float64 [q] pA
    dc_delay: np.ndarray
    dc_start: np.ndarray  # emitted in steps start .. stop - 1
    dc_stop: np.ndarray
    ss_step: np.ndarray  # int64: spike-source spikes, by step ...
    ss_local: np.ndarray  # ... and local neuron


class Synapses(NamedTuple):
    """The source-indexed synapse table (connectivity.py) as the delivery reads it."""

    seg_ptr: np.ndarray  # int64 [rows + 1]: segments of each source row
    seg: np.ndarray  # int64 [segments + 1, 4]: connectivity.SEG_* columns
    syn_target: np.ndarray  # uint16 / uint32: local target of each synapse
    syn_weight: np.ndarray  # float32: drawn weights
    syn_delay: np.ndarray  # uint8 / uint16: drawn delays (steps)
    seg_lazy: np.ndarray  # uint8 [segments + 1]: segment onto an event-driven group
    local_row: np.ndarray  # int64 [n]: the row of each local neuron's spikes (-1: none)


class Plastic(NamedTuple):
    """Plastic synapses, their targets' spike histories and the dopamine of volume
    transmitters (simulation/plasticity.py; kernels/plasticity.py documents each array)."""

    seg_plastic: np.ndarray  # int64 [segments + 1]: plastic segment index, -1 for static
    pl_state: np.ndarray  # float64 [p, 4]
    pl_meta: np.ndarray  # int64 [p, 3]
    rule_par: np.ndarray  # float64 [rules, N_RULE_PAR]
    syn_pw: np.ndarray  # float64: plastic weights
    post_par: np.ndarray  # float64 [n or 0, 3]
    post_state: np.ndarray  # float64 [n or 0, 3]
    n_in: np.ndarray  # int64 [n or 0]
    hist: np.ndarray  # float64 [n or 0, cap + 1, 4]
    out_w: np.ndarray  # float64: scratch of one segment's new weights
    syn_dopa: np.ndarray  # float64 [plastic synapses or 0, 3]
    da_ptr: np.ndarray  # int64 [rules, N_DA_COLS]
    da_time: np.ndarray  # float64 ms
    da_mult: np.ndarray  # float64
    exp_tab: np.ndarray  # float64 decay tables
    vt_local: np.ndarray  # int64 [n or 0]
    vt_ptr: np.ndarray  # int64
    vt_rule: np.ndarray  # int64
    spike_view: np.ndarray  # float64 [n or 0, N_VIEW_COLS]: the histories' views


class Procedural(NamedTuple):
    """Procedural projections onto this rank's neurons (simulation/procedural.py;
    kernels/procedural.py documents the realisation and the columns)."""

    pop_first: np.ndarray  # int64 [pops + 1]: first gid of each population, then the total
    pop_ptr: np.ndarray  # int64 [pops + 1]: the procedural projections of each source pop
    pop_proj: np.ndarray  # int64  (in pop_proj[pop_ptr[pop] : pop_ptr[pop + 1]])
    proc_int: np.ndarray  # int64 [P, N_PROC_INT]
    proc_flt: np.ndarray  # float64 [P, N_PROC_FLT]
    counts: np.ndarray  # uint32: per-source synapse counts of fixed_total_number
    local_of: np.ndarray  # int64 [neurons]: local index of each gid here, -1 elsewhere
    src_flag: np.ndarray  # uint8 [n]: local neuron i has procedural targets on this rank
    seed: np.ndarray  # int64 [1]: the network's seed
    d_meta: np.ndarray  # int64 [tables, 5]: the delay tables
    d_cdf: np.ndarray  # float64
    d_guide: np.ndarray  # int64
    block_buf: np.ndarray  # int64 [blocks]: scratch, a source's synapses per block
    buf_i: np.ndarray  # int64 [PROC_BLOCK]: scratch, a block's local targets,
    buf_q: np.ndarray  # int64 [PROC_BLOCK]  fixed-point weights
    buf_d: np.ndarray  # int64 [PROC_BLOCK]  and delays (steps)
    gids: np.ndarray  # int64 [n]: scratch, a step's spiking gids
    steps: np.ndarray  # int64 [n]: scratch


class Output(NamedTuple):
    """What a step's spikes leave behind: records, spikes for other ranks, counters, and the
    per-step scratch lists (simulation/recording.py)."""

    rec_flag: np.ndarray  # bool [n]: recorded neurons
    local_gid: np.ndarray  # int64 [n]
    rec_step: np.ndarray  # int64: recorded spikes, grown on demand
    rec_gid: np.ndarray
    send_flag: np.ndarray  # bool [n]: neurons with targets on other ranks
    out_step: np.ndarray  # int64: outgoing spikes, grown on demand
    out_local: np.ndarray
    counters: np.ndarray  # int64 [N_COUNTERS] (engine.C_*)
    spiked: np.ndarray  # int64 [n]: scratch
    rows: np.ndarray  # int64 [n]: scratch
    steps: np.ndarray  # int64 [n]: scratch
    hw_active: np.ndarray  # int64 [n or 0]: hardware counters
    hw_spikes: np.ndarray
    hw_row_spikes: np.ndarray  # int64 [rows or 0]


class Threads(NamedTuple):
    """The threads of a rank (simulation/threads.py, kernels/threads.py): thread k owns the
    local neurons bounds[k] .. bounds[k + 1] - 1, updates them and delivers into them, in
    windows of up to window[0] steps.  With one thread every array but ``bounds`` is empty."""

    bounds: np.ndarray  # int64 [T + 1]
    window: np.ndarray  # int64 [1]: steps the threads compute between two deliveries
    seg_split: np.ndarray  # int64 [segments, T + 1]: thread k's synapses of segment s are
    #                        seg_split[s, k] .. seg_split[s, k + 1] - 1 (-1: not grouped)
    pz_split: np.ndarray  # int64 [p, T + 1]: the same for the Poisson stimuli's targets
    spiked: np.ndarray  # int64 [T, W n]: scratch, each thread's spikes of a window ...
    spk_end: np.ndarray  # int64 [T, W]: ... up to the end of each of its steps
    rows: np.ndarray  # int64 [W n]: scratch, the rows of a window's spikes ...
    steps: np.ndarray  # int64 [W n]: ... and their steps
    events: np.ndarray  # int64 [T]: synaptic events delivered by each thread
    cyc: np.ndarray  # int64 [T, 4]: processor cycles of each thread in stimuli, update,
    #                  deliver (in the current window), and in all three since the last balance


# dtype and number of dimensions of every field (the builders make them so; a test holds
# them against a built simulation): what ``empty_state`` needs to compile the kernels of a
# network before it is built (``distsim compile``)
_I, _F, _U8 = np.int64, np.float64, np.uint8
FIELDS = {
    Neurons: {
        "model": (_I, 1),
        "lo": (_I, 1),
        "hi": (_I, 1),
        "pbase": (_I, 1),
        "pstride": (_I, 1),
        "lazy": (_U8, 1),
        "par": (_F, 2),
        "st": (_F, 2),
        "refr": (np.int32, 1),
        "lazy_col": (_I, 1),
        "last": (_I, 1),
    },
    Input: {
        "ring": (_I, 2),
        "cur": (_F, 2),
        "touch": (np.int32, 2),
        "n_touch": (_I, 1),
        "listed": (_U8, 2),
        "far_head": (_I, 1),
        "far_tail": (_I, 1),
        "far_fill": (_I, 1),
        "far_pool": ("pool", 3),
        "far_meta": (_I, 1),
    },
    Procedural: {
        **dict.fromkeys(Procedural._fields, (_I, 1)),
        "proc_int": (_I, 2),
        "proc_flt": (_F, 2),
        "counts": (np.uint32, 1),
        "src_flag": (_U8, 1),
        "d_meta": (_I, 2),
        "d_cdf": (_F, 1),
    },
    Stimuli: {
        **dict.fromkeys(Stimuli._fields, (_I, 1)),
        "pz_key": (np.uint64, 1),
        "pz_lam": (_F, 1),
        "pz_cdf": (_F, 2),
        "pz_guide": (_I, 2),
        "dc_amp": (_F, 1),
    },
    Synapses: {
        "seg_ptr": (_I, 1),
        "seg": (_I, 2),
        "syn_target": (None, 1),
        "syn_weight": (np.float32, 1),
        "syn_delay": (None, 1),
        "seg_lazy": (_U8, 1),
        "local_row": (_I, 1),
    },
    Plastic: {
        **dict.fromkeys(Plastic._fields, (_F, 2)),
        "seg_plastic": (_I, 1),
        "pl_meta": (_I, 2),
        "syn_pw": (_F, 1),
        "n_in": (_I, 1),
        "hist": (_F, 3),
        "out_w": (_F, 1),
        "da_ptr": (_I, 2),
        "da_time": (_F, 1),
        "da_mult": (_F, 1),
        "vt_local": (_I, 1),
        "vt_ptr": (_I, 1),
        "vt_rule": (_I, 1),
    },
    Threads: {
        **dict.fromkeys(Threads._fields, (_I, 2)),
        "bounds": (_I, 1),
        "window": (_I, 1),
        "rows": (_I, 1),
        "steps": (_I, 1),
        "events": (_I, 1),
    },
    Output: {
        **dict.fromkeys(Output._fields, (_I, 1)),
        "rec_flag": (np.bool_, 1),
        "send_flag": (np.bool_, 1),
    },
}


def far_pool(chunks, chunk, procedural=True):
    """The far queue's pool of ``chunks`` free chunks of ``chunk`` entries (column ``chunk``
    of row 0 links a chunk to the next, -1 ends), in a typed List, so that a kernel can
    replace the array when it grows it; without procedural synapses (no kernel uses the
    pool) the bare array: a typed List costs about 80 us to pass from Python at every
    kernel call (the microcircuit on 2 ranks calls 20,000 times per model second)."""
    from numba.typed import List

    pool = np.zeros((chunks, 2, chunk + 1), np.int64)
    pool[:, 0, chunk] = np.arange(1, chunks + 1)
    pool[-1, 0, chunk] = -1
    if not procedural:
        return pool
    out = List()
    out.append(pool)
    return out


def empty_state(target_dtype, delay_dtype, procedural=True):
    """The eight groups with empty arrays of the kernels' types (``None`` dtypes: the
    synapse table's target and delay types, which depend on the network; ``procedural``:
    the far queue's pool as kernels with procedural synapses take it): arguments with which
    the kernels compile and do nothing."""
    table = {"syn_target": target_dtype, "syn_delay": delay_dtype}

    def empty(cls):
        def value(name, dtype, ndim):
            if dtype == "pool":
                return far_pool(1, 1, procedural)
            return np.zeros((0,) * ndim, table[name] if dtype is None else dtype)

        return cls(**{name: value(name, d, n) for name, (d, n) in FIELDS[cls].items()})

    return tuple(
        empty(cls)
        for cls in (Neurons, Input, Stimuli, Synapses, Plastic, Output, Procedural, Threads)
    )
