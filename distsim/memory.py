"""Peak memory of one rank, estimated before anything is built from the arrays it will hold.

Per rank, with the expected local synapses of each projection (share of its targets on the
rank times its expected synapse count), ``n`` local neurons and ``ns`` ring slots (longest
expected delay + 1):

    peak = process baseline (+ MPI, + run store)
         + decomposition of every gid (rank int32, local index int64)
         + synapse table: per synapse its target (uint16 when each target population has up
           to 65,536 neurons on the rank, else uint32), a float32 weight where drawn and a
           uint8 / uint16 delay where drawn; per segment (source x projection with a local
           target) SEGMENT_BYTES; per row (source gid with a local target) ROW_BYTES;
           plastic synapses also a float64 weight (and 3 float64 with a volume
           transmitter), their segments traces, and every local neuron a spike history
           when any projection is plastic; every rank the dopamine arrivals of each volume
           transmitter (DOPAMINE_ARRIVAL_BYTES per spike of a spike_source transmitter, all
           known at the build; the initial capacity for simulated dopamine neurons, whose
           arrivals grow with their spikes)
         + neuron state and parameters (float64 rows of models/base.py)
         + procedural projections (nothing per synapse): per fixed_total_number projection
           with targets on the rank a uint32 count per source, every gid's local index
           (int64), and the far queue of their input beyond the ring: FAR_NODE_BYTES per
           synaptic event in flight beyond the ring (expected from the delay distribution and
           the source rate, 10 Hz unless ``rates`` say otherwise), twice that for the pool's
           doubling
         + max(build temporaries, run arrays)

The build temporaries are one chunk of generated synapses (connectivity.CHUNK: source and
target int64, draw counter, drawn weight and delay float64) and a few arrays per source and
target population; they are freed before the run arrays exist: the ring buffers (int64,
2 x ns per neuron; with procedural delays longer than a ring of 256 MB holds, ns = 40 and the
far queue), DC slots (float64, ns per neuron, one slot without DC input), per-neuron index
and event lists,
spike buffers, stimuli and routing.  Segments and rows are expected counts: a source with
on average m synapses onto the rank's targets of a projection has one with probability
1 - exp(-m).  The longest drawn delay is the distribution's 1 - 1/(k + 1) quantile for k
local synapses.  The baseline is measured (a process that has run a two-neuron network
with distsim, numpy and numba loaded): BASE_BYTES; MPI_BYTES more under MPI (mpi4py, MPICH);
STORE_BYTES more when a run store is written (zarr).  scripts/check_memory_estimate.py
compares the estimate with measured peaks.

Working the estimate out needs memory too (the balancers' arrays per gid, the expected
traffic between every pair of ranks): ``check_describable`` refuses a description that
would not fit before any of those arrays exists.
"""

import math
from statistics import NormalDist

import numpy as np

from .connectivity import CHUNK, rank_target_dtypes
from .distributions import LogNormal, Normal, Uniform, is_distribution, varies_per_synapse
from .errors import ConfigError
from .memory_limit import budget
from .models.base import par_rows_of, state_rows_of
from .simulation.plasticity import DA_INITIAL_CAPACITY
from .simulation.procedural import delay_cdf
from .simulation.recording import INITIAL_RECORD_CAPACITY

BASE_BYTES = 150e6  # python, numpy, numba, distsim's kernels loaded (measured: 145-151 MB)
MPI_BYTES = 16e6  # mpi4py and MPICH per rank (measured: 162 vs 145 MB)
STORE_BYTES = 35e6  # zarr and the store writer (measured: 186 vs 151 MB)
# seg row (int64 x 5), seg_proj (int32), event-driven flag (uint8), plastic index (int64)
SEGMENT_BYTES = 40 + 4 + 1 + 8
PLASTIC_SYNAPSE_BYTES = 8  # float64 weight (simulation._build_plasticity)
DOPAMINE_SYNAPSE_BYTES = 3 * 8  # eligibility state of rules with a volume transmitter
PLASTIC_SEGMENT_BYTES = 4 * 8 + 3 * 8  # presynaptic traces or short-term state, metadata
DOPAMINE_ARRIVAL_BYTES = 2 * 8  # arrival time and multiplicity (kernels/plasticity.py)
# synapse count, trace parameters (3 x float64), postsynaptic traces (3 x float64), a spike
# history row (a header and 16 entries of 4 float64) and its view (8 float64;
# kernels/plasticity.py)
PLASTIC_NEURON_BYTES = 8 + 3 * 8 + 3 * 8 + (1 + 16) * 4 * 8 + 8 * 8
ROW_BYTES = 8 + 8 + 16  # row_gid, seg_ptr, smallest and largest delay of the row
DECOMPOSITION_BYTES = 4 + 8  # rank_of (int32) and local index (int64) of every gid
# per local neuron besides state, parameters and slots: refractory counter (int32), index of
# its row, gid, spike lists (3 x int64), record flag, send pointer, event-driven step and
# column (int64)
NEURON_BYTES = 4 + 8 + 8 + 3 * 8 + 1 + 8 + 2 * 8
# per local neuron and ring slot: excitatory and inhibitory input (int64), DC (float64),
# event lists of event-driven neurons (int32 index, uint8 flag)
SLOT_BYTES = 2 * 8 + 8 + 4 + 1
# one generated synapse while placed: source and target (int64), draw counter (int64),
# drawn weight and delay (float64)
CHUNK_BYTES_PER_SYNAPSE = 2 * 8 + 8 + 2 * 8
# while a network is described (inspect.describe): the balancers' arrays per gid (work,
# cumulative work, rank, local index, sort order; measured 45-57 B) and the expected
# traffic between every pair of ranks (float64 and its temporaries; measured 9 B)
DESCRIBE_BYTES_PER_NEURON = 64
DESCRIBE_BYTES_PER_RANK_PAIR = 16
FAR_NODE_BYTES = 3 * 8  # next node, local index, fixed-point weight (kernels/procedural.py)
DEFAULT_RATE_HZ = 10.0


def check_available(need_bytes, what, fix):
    """Refuse (ConfigError) what needs more than this rank may use (memory_limit.py);
    ``what`` names it in the message, ``fix`` says what to do."""
    limit = budget()
    if need_bytes > limit.per_rank:
        raise ConfigError(
            f"{what} needs about {need_bytes / 1e9:.3g} GB but "
            f"{limit.per_rank / 1e9:.3g} GB are available ({limit.where()}); {fix}"
        )


def check_describable(network, n_ranks):
    """Refuse (ConfigError) to describe ``network`` on ``n_ranks`` ranks when the arrays of
    the description alone would exceed the memory available now; nothing per neuron or per
    rank exists yet."""
    ranks = int(n_ranks) if isinstance(n_ranks, (int, np.integer)) and n_ranks > 0 else 1
    check_available(
        DESCRIBE_BYTES_PER_NEURON * network.n_neurons + DESCRIBE_BYTES_PER_RANK_PAIR * ranks**2,
        f"Network of {network.n_neurons:,} neurons on {ranks:,} rank(s): working out its "
        f"partition and memory ({DESCRIBE_BYTES_PER_NEURON} B per neuron, "
        f"{DESCRIBE_BYTES_PER_RANK_PAIR} B per pair of ranks)",
        "use fewer neurons or ranks, or a machine with more memory",
    )


def largest_value(value, k):
    """Expected largest of k values of a weight or delay (a number, a distribution or an array)."""
    if isinstance(value, np.ndarray):  # from_list: one value per synapse
        return float(value.max(initial=0.0))
    if not is_distribution(value):
        return float(value)
    q = -NormalDist().inv_cdf(1.0 / (max(k, 1.0) + 1.0))  # fewer than one: the median
    if isinstance(value, Normal):
        return min(value.mean + value.std * q, value.high)
    if isinstance(value, Uniform):
        return value.high
    if isinstance(value, LogNormal):
        log = value.mu + value.sigma * q
        return math.exp(log) if log < 709.0 else math.inf  # beyond a float's range
    raise TypeError(value)


def _dopamine_arrivals(network, proj):
    """Dopamine arrivals every rank keeps for projection ``proj`` (0 without a volume
    transmitter): NEST's pseudo spike at 0 ms and, for a spike_source transmitter, at most one
    per spike; for simulated dopamine neurons the initial capacity."""
    vt = getattr(proj.synapse, "vt", None)
    if not vt:
        return 0
    model = network.populations[vt].model
    if not model.is_source_only:
        return DA_INITIAL_CAPACITY
    return 1 + sum(len(ts) for ts in model.spike_times)


def rank_memory(network, dec, n_syn, store=True, rates=None):
    """Estimated peak bytes of each rank of decomposition ``dec`` (a list of dicts: total, its
    parts, expected stored and procedural synapses, ring slots, rows and segments);
    ``n_syn`` maps each projection to its expected synapse count; ``store``: the run writes
    a run store; ``rates`` (population -> Hz, default 10 Hz): the far queue's traffic."""
    from .simulation.synaptic_input import DENSE_RING_BYTES, NEAR_RING_SLOTS

    n_ranks = dec.n_ranks
    neurons = dec.counts()
    share = {}  # population -> fraction of its neurons on each rank
    for pop in network.populations.values():
        ranks = dec.rank_of[pop.first_gid : pop.first_gid + pop.size]
        share[pop.name] = np.bincount(ranks, minlength=n_ranks) / max(pop.size, 1)
    stored = [p for p in network.projections if p.storage == "stored"]
    procedural = [p for p in network.projections if p.storage == "procedural"]
    syn = {p.name: share[p.target] * n_syn[p.name] for p in stored}
    tables = {repr(p.delay): delay_cdf(p.delay, network.dt) for p in procedural}
    longest_step = {key: k0 + cdf.size for key, (k0, cdf) in tables.items()}
    queued = {}
    target_types = rank_target_dtypes(network, dec)
    base = BASE_BYTES + (MPI_BYTES if n_ranks > 1 else 0.0) + (STORE_BYTES if store else 0.0)
    slot_bytes = SLOT_BYTES - (0 if network.dc_inputs else 8)  # (DC: one slot of zeros)
    out = []
    for r in range(n_ranks):
        n = float(neurons[r])
        total = sum(s[r] for s in syn.values())
        stim_delays = [s.delay for s in (*network.poisson_inputs, *network.dc_inputs)]
        longest = max(
            [largest_value(p.delay, syn[p.name][r]) for p in stored if syn[p.name][r] > 0]
            + stim_delays
            + [network.dt]
        )
        ns = math.floor(min(longest / network.dt, 2.0**62) + 0.5) + 1  # finite, however long
        here = [p for p in procedural if share[p.target][r] > 0]
        if here:  # (simulation/core.py: Simulation._ring_slots)
            dense = max(ns, max(longest_step[_delay_key(p)] for p in here))
            ns = dense if 16 * dense * n <= DENSE_RING_BYTES else max(ns, NEAR_RING_SLOTS)
        drawn_delays = sum(syn[p.name][r] for p in stored if varies_per_synapse(p.delay))
        table = (
            total * np.dtype(target_types[r]).itemsize
            + 4 * sum(syn[p.name][r] for p in stored if varies_per_synapse(p.weight))
            + drawn_delays * (1 if ns <= 2**8 else 2)
        )
        seg = 0.0
        per_source = {}  # source population -> expected synapses per source neuron (all
        #                  its projections)
        for p in stored:
            size = network.populations[p.source].size
            m = syn[p.name][r] / max(size, 1)
            seg_p = size * -math.expm1(-m)
            seg += seg_p
            per_source[p.source] = per_source.get(p.source, 0.0) + m
            if p.synapse is not None:
                table += (
                    syn[p.name][r]
                    * (
                        PLASTIC_SYNAPSE_BYTES
                        + DOPAMINE_SYNAPSE_BYTES * bool(getattr(p.synapse, "vt", None))
                    )
                    + seg_p * PLASTIC_SEGMENT_BYTES
                )
        rows = sum(network.populations[s].size * -math.expm1(-m) for s, m in per_source.items())
        table += seg * SEGMENT_BYTES + rows * ROW_BYTES
        if any(p.synapse is not None for p in network.projections):
            table += n * PLASTIC_NEURON_BYTES
        table += DOPAMINE_ARRIVAL_BYTES * sum(
            _dopamine_arrivals(network, p) for p in network.projections
        )
        proc_bytes = _procedural_bytes(network, here, share, n_syn, r, n, ns, tables, rates, queued)
        # parameter columns: one per population, one per neuron where a parameter (not an
        # initial state) is drawn or given per neuron
        cols = sum(
            share[pop.name][r] * pop.size
            if any(
                is_distribution(v) or isinstance(v, np.ndarray)
                for k, v in pop.model.values().items()
                if k not in pop.model.recordables
            )
            else 1.0
            for pop in network.populations.values()
            if share[pop.name][r] > 0 and not pop.model.is_source_only
        )
        state = n * 8 * state_rows_of(network) + cols * 8 * par_rows_of(network)
        sizes = [
            network.populations[p.source].size + network.populations[p.target].size for p in stored
        ]
        build = min(
            CHUNK, max([s[r] for s in syn.values()] + [0])
        ) * CHUNK_BYTES_PER_SYNAPSE + 24 * max(sizes + [0])
        cap = max(INITIAL_RECORD_CAPACITY, 2 * n)
        stim = sum(
            16
            * share[s.target][r]
            * (len(s.neurons) if s.neurons is not None else network.populations[s.target].size)
            for s in (*network.poisson_inputs, *network.dc_inputs)
        )
        stim += sum(
            16 * share[pop.name][r] * sum(len(t) for t in pop.model.spike_times)
            for pop in network.populations.values()
            if pop.model.is_source_only
        )
        run = n * (NEURON_BYTES + ns * slot_bytes) + 4 * 8 * cap + stim
        parts = {
            "base": base,
            "decomposition": DECOMPOSITION_BYTES * dec.n_gids,
            "synapse_table": table,
            "procedural": proc_bytes,
            "neurons": state,
            "build_temporaries": build,
            "run_arrays": run,
        }
        peak = base + parts["decomposition"] + table + proc_bytes + state + max(build, run)
        out.append(
            {
                "total": peak,
                "parts": parts,
                "synapses": total,
                "procedural_synapses": sum(share[p.target][r] * n_syn[p.name] for p in here),
                "ring_slots": ns,
                "rows": rows,
                "segments": seg,
            }
        )
    return out


def _delay_key(proj):
    return repr(proj.delay)


def _procedural_bytes(network, here, share, n_syn, r, n, ns, tables, rates, queued):
    """Bytes of the procedural projections ``here`` (targets on rank r, n neurons, ns ring
    slots): the source counts of fixed_total_number, every gid's local index, scratch per
    local neuron (spiking gids, steps, source flag), and the far queue (twice the events
    expected in flight beyond the ring, the pool doubling as it grows); ``queued`` caches
    the expected wait in the queue per (delay, ring)."""
    if not here:
        return 0.0
    rates = rates or {}
    counts = sum(
        4 * network.populations[p.source].size for p in here if p.rule.rule == "fixed_total_number"
    )
    in_flight = 0.0
    for p in here:
        rate = rates.get(p.source, DEFAULT_RATE_HZ)
        key = (_delay_key(p), ns)
        if key not in queued:  # expected steps an event waits in the far queue
            k0, cdf = tables[key[0]]
            steps = k0 + np.arange(cdf.size)
            queued[key] = float(np.sum(np.diff(np.r_[0.0, cdf]) * np.maximum(steps - ns + 1, 0)))
        in_flight += share[p.target][r] * n_syn[p.name] * rate * queued[key] * network.dt / 1e3
    return counts + 8.0 * network.n_neurons + 17.0 * n + 2 * FAR_NODE_BYTES * in_flight


def lower_bound_bytes(network, n_ranks, store=True):
    """A lower bound of the largest rank's peak, from population sizes and expected synapse
    counts only (nothing per neuron is allocated): the mean over ranks of the neurons'
    state and two ring slots and of the stored synapses' targets (2 B each), plus what every rank
    holds (baseline, decomposition).  Networks far too large for the machine are refused
    with it before the detailed estimate, which allocates per-neuron arrays."""
    from .partition.balancers import expected_indegree

    neurons = float(sum(p.size for p in network.populations.values()))
    synapses = sum(
        expected_indegree(network, p) * network.populations[p.target].size
        for p in network.projections
        if p.storage == "stored"
    )
    per_neuron = 8 * state_rows_of(network) + NEURON_BYTES + 2 * SLOT_BYTES
    base = BASE_BYTES + (MPI_BYTES if n_ranks > 1 else 0.0) + (STORE_BYTES if store else 0.0)
    return (
        base
        + DECOMPOSITION_BYTES * neurons
        + (neurons * per_neuron + 2.0 * synapses) / max(n_ranks, 1)
    )


def largest_rank_bytes(network, n_ranks, balancer="block", store=True):
    """The estimated peak bytes of the largest rank of ``network`` on ``n_ranks`` ranks (of
    a run that writes a run store when ``store``)."""
    from .inspect import expected_synapses
    from .partition import get_balancer

    check_describable(network, n_ranks)
    dec = get_balancer("block" if balancer == "hardware" else balancer)(network, n_ranks)
    return max(r["total"] for r in rank_memory(network, dec, expected_synapses(network), store))
