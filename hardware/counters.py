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
        raise ConfigError(
            "hardware counters: the decomposition has no chips; build the "
            "Simulation with the 'hardware' balancer (distsim run --hardware)"
        )
    fab = parse_fabric(dec.hardware["fabric"])
    profile = load_profile(dec.hardware["profile"])
    hw = sim.hardware_counts()
    c = {
        k: (v.astype(np.float64) if isinstance(v, np.ndarray) else v)
        for k, v in empty_counters(fab.n_chips, fab.n_links).items()
    }
    chip_of, core_of = dec.chip_of, dec.core_of
    gid = hw["gid"]
    sources = ~np.array(
        [sim.network.populations[p].model.is_source_only for p in _population_of(sim)], bool
    )
    local_chip = chip_of[gid]
    c["spikes"] += np.bincount(local_chip, weights=hw["spikes"], minlength=fab.n_chips)
    c["neuron_updates_active"] += np.bincount(
        local_chip[sources], weights=hw["active_steps"][sources], minlength=fab.n_chips
    )
    neurons = np.bincount(local_chip[sources], minlength=fab.n_chips)
    c["neuron_updates_idle"] += neurons * hw["steps"] - c["neuron_updates_active"]
    # synapses: row of each, its target's chip and core
    sel, syn_seg, _, rows = sim.synapses_of(None, "hardware counters")
    tgt_gid = sim.local_gid[sim.table.local_targets(sel, syn_seg)]
    row_spikes = np.asarray(hw["row_spikes"], np.float64)
    dst_chip = chip_of[tgt_gid]
    c["synaptic_ops"] += np.bincount(dst_chip, weights=row_spikes[rows], minlength=fab.n_chips)
    n_rows = sim.table.row_gid.size
    row_chip = chip_of[sim.table.row_gid]
    # one packet per (spike, destination chip): distinct (row, chip) pairs, summed per
    # (source chip, destination chip) and routed once per chip pair
    row, dst = _distinct(rows, dst_chip, n_rows, fab.n_chips)
    src, n = row_chip[row], row_spikes[row]
    away = (src != dst) & (n > 0)
    chip_pairs = np.bincount(
        src[away] * fab.n_chips + dst[away], weights=n[away], minlength=fab.n_chips**2
    ).reshape(fab.n_chips, fab.n_chips)
    max_hops = 0
    for a, b in zip(*np.nonzero(chip_pairs)):
        route = fab.route(int(a), int(b))
        max_hops = max(max_hops, len(route))
        c["link_packets"][route] += chip_pairs[a, b]
        c["packets"][a] += chip_pairs[a, b]
        c["packets"][fab.links[route, 1]] += chip_pairs[a, b]
    # on-chip messages: (row, target core) pairs on the source's own chip
    same = row_chip[rows] == dst_chip
    if same.any() and all(x.known for x in profile.layout.values()):
        n_cores = int(core_of.max()) + 1
        row, core = _distinct(rows[same], core_of[tgt_gid[same]], n_rows, n_cores)
        hx, hy = tile_hops(profile, core_of[sim.table.row_gid[row]], core)
        n = row_spikes[row]
        c["noc_hops_x"] += np.bincount(row_chip[row], weights=hx * n, minlength=fab.n_chips)
        c["noc_hops_y"] += np.bincount(row_chip[row], weights=hy * n, minlength=fab.n_chips)
    ctx = sim.context
    for key, value in c.items():
        if isinstance(value, np.ndarray):
            c[key] = ctx.allreduce(np.ascontiguousarray(value, np.float64), "sum")
    c["cores_active"] = np.bincount(
        _distinct(chip_of, core_of, fab.n_chips, int(core_of.max(initial=0)) + 1)[0],
        minlength=fab.n_chips,
    ).astype(np.float64)
    c["steps"] = hw["steps"]
    c["dt_ms"] = sim.dt
    c["max_hops"] = ctx.allreduce(max_hops, "max")
    return c


def _distinct(a, b, na, nb):
    """The distinct pairs (a[i], b[i]) as two arrays, ordered by a then b (0 <= a < na,
    0 <= b < nb): a mask where na x nb is small, else a sort."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if na * nb <= 1 << 26:
        seen = np.zeros(na * nb, np.bool_)
        seen[a * nb + b] = True
        keys = np.flatnonzero(seen)
    else:
        keys = np.unique(a * nb + b)
    return keys // nb, keys % nb


def _population_of(sim):
    """Population name of each local neuron."""
    names = np.empty(sim.n_local, object)
    for name, (lo, hi) in sim.neurons.pop_slice.items():
        names[lo:hi] = name
    return names
