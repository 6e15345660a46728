"""Per-chip and per-link counters of a run mapped onto a fabric (energy.py's counter set),
from the engine's hardware counters (``Simulation(hardware_counters=True)``) and the
hardware mapping (``Decomposition.chip_of`` / ``core_of``).

Each rank counts what its own synapse table and neurons saw, then the counts are summed
over ranks:

- ``synaptic_ops``: every spike delivered through a row reaches all its local synapses; each
  counts on the chip of its target neuron;
- ``neuron_updates_active``: neuron-steps with synaptic input; ``neuron_updates_idle``: the
  other neuron-steps (the chip updates every neuron in every step);
- ``spikes``: spikes emitted, on the chip of the neuron;
- ``packets`` and ``link_packets``: one packet per spike and destination chip other than
  its own (each rank counts the chips it holds), routed dimension-ordered on the fabric;
  every chip on the route (h + 1 of them) handles it once, every link carries it once;
- ``noc_hops_x`` / ``noc_hops_y``: on-chip tile hops from the source's core to each target
  core on the source's own chip (one message per spike and core); packets arriving from
  other chips are not followed inside the chip;
- ``cores_active``: cores holding neurons.
"""
import numpy as np

from distsim.errors import ConfigError

from .energy import empty_counters
from .fabric import parse_fabric, tile_hops
from .profiles import load_profile


def chip_counters(sim):
    """The energy model's counters of ``sim`` (collective; every rank gets the sums)."""
    dec = sim.decomposition
    if dec.chip_of is None or dec.hardware is None:
        raise ConfigError("hardware counters: the decomposition has no chips; build the "
                          "Simulation with the 'hardware' balancer (distsim run --hardware)")
    fab = parse_fabric(dec.hardware["fabric"])
    profile = load_profile(dec.hardware["profile"])
    hw = sim.hardware_counts()
    c = {k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v)
         for k, v in empty_counters(fab.n_chips, fab.n_links).items()}
    chip_of, core_of = dec.chip_of, dec.core_of
    gid = hw["gid"]
    sources = ~np.array([sim.network.populations[p].model.is_source_only
                         for p in _population_of(sim)], bool)
    local_chip = chip_of[gid]
    c["spikes"] += np.bincount(local_chip, weights=hw["spikes"], minlength=fab.n_chips)
    c["neuron_updates_active"] += np.bincount(local_chip[sources],
                                              weights=hw["active_steps"][sources],
                                              minlength=fab.n_chips)
    neurons = np.bincount(local_chip[sources], minlength=fab.n_chips)
    c["neuron_updates_idle"] += neurons * hw["steps"] - c["neuron_updates_active"]
    # synapses: row of each, its target's chip and core
    sel, _, _, rows = sim._synapses(None, "hardware counters")
    tgt_gid = sim.local_gid[sim.table.syn_target[sel].astype(np.int64)]
    spikes_in = hw["row_spikes"][rows].astype(np.float64)
    c["synaptic_ops"] += np.bincount(chip_of[tgt_gid], weights=spikes_in, minlength=fab.n_chips)
    src_gid = sim.table.row_gid[rows]
    src_chip, dst_chip = chip_of[src_gid], chip_of[tgt_gid]
    # one packet per (spike, destination chip): distinct (row, chip) pairs
    pairs = np.unique(np.stack([rows, dst_chip], 1), axis=0) if rows.size else np.empty((0, 2), int)
    max_hops = 0
    for row, dst in pairs:
        src = chip_of[sim.table.row_gid[row]]
        n = hw["row_spikes"][row]
        if src == dst or n == 0:
            continue
        route = fab.route(int(src), int(dst))
        max_hops = max(max_hops, len(route))
        for link in route:
            c["link_packets"][link] += n
        c["packets"][src] += n
        for link in route:
            c["packets"][fab.links[link][1]] += n
    # on-chip messages: (row, target core) pairs on the source's own chip
    same = src_chip == dst_chip
    if same.any() and all(x.known for x in profile.layout.values()):
        msgs = np.unique(np.stack([rows[same], core_of[tgt_gid[same]]], 1), axis=0)
        for row, core in msgs:
            src = sim.table.row_gid[row]
            hx, hy = tile_hops(profile, core_of[src], core)
            c["noc_hops_x"][chip_of[src]] += hx * hw["row_spikes"][row]
            c["noc_hops_y"][chip_of[src]] += hy * hw["row_spikes"][row]
    ctx = sim.context
    for key, value in c.items():
        if isinstance(value, np.ndarray):
            c[key] = ctx.allreduce(np.ascontiguousarray(value, np.float64), "sum")
    c["cores_active"] = np.array(
        [len(np.unique(core_of[chip_of == k])) if (chip_of == k).any() else 0
         for k in range(fab.n_chips)], np.float64)
    c["steps"] = hw["steps"]
    c["dt_ms"] = sim.dt
    c["max_hops"] = ctx.allreduce(max_hops, "max")
    return c


def _population_of(sim):
    """Population name of each local neuron."""
    names = np.empty(sim.n_local, object)
    for name, (lo, hi) in sim._pop_slice.items():
        names[lo:hi] = name
    return names
