"""Same seed, same spikes; another seed, other spikes; run(a); run(b) == run(a + b)."""

import numpy as np

from distsim import FixedIndegree, Network, Normal, Simulation, Uniform
from distsim.examples import brunel


def _mixed(seed):
    net = Network(dt=0.1, seed=seed)
    net.add_population("D", "iaf_psc_delta", 60, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("X", "iaf_psc_exp", 60, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("A", "iaf_psc_alpha", 60, {"tau_m": Normal(10.0, 1.0, low=5.0)})
    net.add_population("Z", "izhikevich", 30)
    net.add_population("S", "spike_source", 2, {"spike_times": [[5.0, 7.5, 30.0], [12.3]]})
    for src, w in (("D", 0.5), ("X", 30.0), ("A", 30.0), ("Z", 1.0), ("S", 50.0)):
        for tgt in "DXAZ":
            net.connect(
                src,
                tgt,
                FixedIndegree(2 if src == "S" else 6),
                weight=w if tgt != "D" else 0.5,
                delay=Uniform(0.1, 5.0),
            )
    for tgt, w in (("D", 0.4), ("X", 40.0), ("A", 40.0), ("Z", 3.0)):
        net.add_poisson_input(tgt, rate=9000.0, weight=w, delay=1.0)
    for p in "DXAZS":
        net.record_spikes(p)
    return net


def test_same_seed_same_spikes_other_seed_other_spikes():
    a, b, c = Simulation(_mixed(1)), Simulation(_mixed(1)), Simulation(_mixed(2))
    for s in (a, b, c):
        s.run(200.0)
    assert a.summary()["recorded_spikes"] > 500
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()


def test_split_runs_equal_one_run():
    one, split = Simulation(_mixed(3)), Simulation(_mixed(3))
    one.run(150.0)
    split.run(37.3)
    split.run(0.0)
    split.run(112.7)
    assert one.step == split.step == 1500
    assert one.digest() == split.digest()
    assert np.array_equal(one.neurons.st, split.neurons.st)


def test_brunel_small_split_runs():
    a, b = Simulation(brunel(order=100, seed=5)), Simulation(brunel(order=100, seed=5))
    a.run(100.0)
    for _ in range(4):
        b.run(25.0)
    assert a.summary()["recorded_spikes"] > 0
    assert a.digest() == b.digest()


def test_record_buffers_grow_instead_of_dropping():
    net = Network(dt=0.1, seed=1)
    net.add_population("E", "iaf_psc_delta", 3000, {"I_e": 1e6, "t_ref": 0.0})
    net.record_spikes("E")
    sim = Simulation(net)
    sim.run(5.0)  # every neuron fires in every step: 150,000 spikes > 65,536 initial capacity
    n = sim.summary()["recorded_spikes"]
    assert n == sim.summary()["spikes"] == 3000 * 50
