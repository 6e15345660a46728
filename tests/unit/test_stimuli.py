"""Poisson, DC and spike-source inputs: statistics and timing."""

import numpy as np

from distsim import Network, Simulation

COUNTER = {"C_m": 1.0, "tau_m": 1e12, "E_L": 0.0, "V_m": 0.0, "V_reset": 0.0, "V_th": 1e12}


def test_poisson_counts_are_poisson_and_windowed():
    # a leak-free delta neuron with weight 1 mV counts its input spikes in V_m
    net = Network(dt=0.1, seed=11)
    net.add_population("N", "iaf_psc_delta", 2000, COUNTER)
    net.add_poisson_input("N", rate=2000.0, weight=1.0, delay=1.0, start=20.0, stop=70.0)
    net.record_state("N", ["V_m"], interval=1.0)
    sim = Simulation(net)
    sim.run(100.0)
    rec = sim.states()
    v = rec["V_m"]
    counts = v[-1]
    expected = 2000.0 * 50e-3  # rate x active window
    assert np.allclose(counts, np.round(counts), atol=1e-6)
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / counts.size)
    assert abs(counts.var() / expected - 1.0) < 4 * np.sqrt(2.0 / counts.size)
    # spikes emitted in (20, 70] ms arrive 1 ms later: nothing before 21.1 ms, all by 71 ms
    t = rec["times"]
    assert np.all(v[t <= 21.0] == 0.0)
    assert np.allclose(v[t >= 71.0], counts)


def test_poisson_large_rate_uses_ptrs():
    net = Network(dt=0.1, seed=12)
    net.add_population("N", "iaf_psc_delta", 1000, COUNTER)
    net.add_poisson_input("N", rate=300000.0, weight=1.0, delay=0.1)  # lam = 30 per step
    net.record_state("N", ["V_m"], interval=10.0)
    sim = Simulation(net)
    sim.run(10.0)
    counts = sim.states()["V_m"][-1]
    expected = 300000.0 * 10e-3 - 30.0  # the first step's emission arrives after the run
    assert abs(counts.mean() - expected) < 4 * np.sqrt(expected / counts.size)
    assert abs(counts.var() / expected - 1.0) < 4 * np.sqrt(2.0 / counts.size)


def test_spike_source_delay_and_dc_onset():
    net = Network(dt=0.1, seed=1)
    net.add_population("S", "spike_source", 1, {"spike_times": [[5.0]]})
    net.add_population("N", "iaf_psc_delta", 2, {**COUNTER})
    net.connect("S", "N", "all_to_all", weight=2.0, delay=1.0)
    net.add_dc_input("N", amplitude=1.0, start=10.0, stop=12.0, delay=0.5, neurons=[1])
    net.record_state("N", ["V_m"], interval=0.1)
    net.record_spikes("S")
    sim = Simulation(net)
    sim.run(20.0)
    rec = sim.states()
    t, v = rec["times"], rec["V_m"]
    times, gids = sim.spikes()
    assert np.allclose(times, [5.0]) and list(gids) == [0]
    # spike at 5.0 ms over 1.0 ms: first visible at 6.0 ms
    assert np.all(v[t < 5.95, 0] == 0.0) and np.allclose(v[t > 5.95, 0], 2.0)
    # DC of window (10, 12] ms and delay 0.5 ms is integrated in the steps ending in
    # (10.5, 12.5] ms (as NEST's dc_generator): V grows by I h / C = 0.1 mV per step
    dv = np.diff(np.concatenate(([0.0], v[:, 1])))
    grow = np.flatnonzero(np.abs(dv - 0.1) < 1e-9)
    assert np.allclose(t[grow[[0, -1]]], [10.6, 12.5]) and grow.size == 20
