"""Per-chip and per-link counters of a run (hardware/counters.py), by hand on a tiny
network placed on a 3x1 Loihi mesh, and their sums against the engine's totals."""

import numpy as np
import pytest

from distsim import FromList, Network, Simulation
from distsim.errors import ConfigError
from distsim.hardware.counters import chip_counters
from distsim.partition import Decomposition, hardware


def test_counts_by_hand():
    net = Network(dt=1.0, seed=1)
    net.add_population("src", "spike_source", 2, {"spike_times": [[1.0, 4.0], [2.0]]})
    net.add_population("n", "iaf_psc_delta", 3, {"V_th": -55.0, "E_L": -70.0, "V_m": -70.0})
    # gid 0 (chip 0) -> gids 2 (chip 0), 3 (chip 1), 4 (chip 2); gid 1 (chip 2) -> gid 4
    net.connect("src", "n", FromList([0, 0, 0, 1], [0, 1, 2, 2]), weight=[1.0] * 4, delay=1.0)
    chip_of = np.array([0, 2, 0, 1, 2])
    dec = Decomposition(
        1,
        np.zeros(5, np.int64),
        "hardware",
        chip_of=chip_of,
        core_of=np.array([0, 0, 1, 0, 1]),
        hardware={"profile": "loihi", "fabric": "mesh:3x1"},
    )
    sim = Simulation(net, decomposition=dec, hardware_counters=True)
    sim.run(10.0)
    c = chip_counters(sim)
    assert c["synaptic_ops"].tolist() == [2, 2, 3]  # gid 4: 2 spikes of gid 0, 1 of gid 1
    assert c["spikes"].tolist() == [2, 0, 1]
    assert c["neuron_updates_active"].tolist() == [2, 2, 3]  # gid 4: input in steps 2, 3, 5
    assert (c["neuron_updates_active"] + c["neuron_updates_idle"]).tolist() == [10, 10, 10]
    # gid 0's 2 spikes go to chips 1 (1 hop) and 2 (2 hops); gid 1's stays on chip 2
    links = {tuple(l): k for k, l in enumerate(sim_links())}
    assert c["link_packets"][links[(0, 1)]] == 4 and c["link_packets"][links[(1, 2)]] == 2
    assert c["link_packets"].sum() == 6 and c["max_hops"] == 2
    assert c["packets"].tolist() == [4, 4, 2]  # injected on 0, through 1, delivered on 1 and 2
    assert c["cores_active"].tolist() == [2, 1, 2]


def sim_links():
    from distsim.hardware.fabric import parse_fabric

    return parse_fabric("mesh:3x1").links.tolist()


def test_sums_equal_the_engines_totals():
    from distsim.examples.brunel import brunel

    net = brunel(order=100)
    sim = Simulation(
        net,
        decomposition=hardware(net, 1, profile="loihi", fabric="mesh:2x2"),
        hardware_counters=True,
    )
    sim.run(100.0)
    c, s = chip_counters(sim), sim.summary()
    assert c["synaptic_ops"].sum() == s["synaptic_events"] > 0
    assert c["spikes"].sum() == s["spikes"]
    assert (c["neuron_updates_active"] + c["neuron_updates_idle"]).sum() == 1000 * 500


def test_needs_a_hardware_mapping():
    net = Network()
    net.add_population("n", "iaf_psc_delta", 2)
    sim = Simulation(net, hardware_counters=True)
    sim.run(1.0)
    with pytest.raises(ConfigError, match="'hardware' balancer"):
        chip_counters(sim)


def _reference_fabric_counts(sim):
    """Packets, link packets, max hops and on-chip tile hops by plain loops over the
    synapses (the definition in the module docstring)."""
    from distsim.hardware.fabric import parse_fabric, tile_hops
    from distsim.hardware.profiles import load_profile

    dec, hw = sim.decomposition, sim.hardware_counts()
    fab, prof = parse_fabric(dec.hardware["fabric"]), load_profile(dec.hardware["profile"])
    sel, syn_seg, _, rows = sim.synapses_of(None, "test")
    tgt = sim.local_gid[sim.table.local_targets(sel, syn_seg)]
    packets, links = np.zeros(fab.n_chips), np.zeros(fab.n_links)
    noc_x, noc_y = np.zeros(fab.n_chips), np.zeros(fab.n_chips)
    max_hops, seen, seen_core = 0, set(), set()
    for row, t in zip(rows.tolist(), tgt.tolist()):
        src_gid = int(sim.table.row_gid[row])
        src, dst, n = dec.chip_of[src_gid], dec.chip_of[t], hw["row_spikes"][row]
        if src != dst and (row, dst) not in seen and n:
            seen.add((row, dst))
            route = fab.route(src, dst)
            max_hops = max(max_hops, len(route))
            packets[src] += n
            for k in route:
                links[k] += n
                packets[fab.links[k][1]] += n
        if src == dst and (row, dec.core_of[t]) not in seen_core:
            seen_core.add((row, dec.core_of[t]))
            hx, hy = tile_hops(prof, dec.core_of[src_gid], dec.core_of[t])
            noc_x[src] += hx * n
            noc_y[src] += hy * n
    return {
        "packets": packets,
        "link_packets": links,
        "max_hops": max_hops,
        "noc_hops_x": noc_x,
        "noc_hops_y": noc_y,
    }


def test_vectorised_counts_equal_loops():
    from distsim.examples.brunel import brunel

    net = brunel(order=60)
    gid = np.arange(net.n_neurons)
    dec = Decomposition(
        1,
        np.zeros(gid.size, np.int64),
        "hardware",
        chip_of=gid % 6,
        core_of=(gid // 6) % 40,
        hardware={"profile": "loihi", "fabric": "mesh:3x2"},
    )
    sim = Simulation(net, decomposition=dec, hardware_counters=True)
    sim.run(50.0)
    c, ref = chip_counters(sim), _reference_fabric_counts(sim)
    assert ref["max_hops"] == 3 and ref["link_packets"].sum() > 0 and ref["noc_hops_y"].sum() > 0
    for key, value in ref.items():
        assert np.array_equal(c[key], value), key
    assert c["cores_active"].tolist() == [40] * 6
