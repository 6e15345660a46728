"""Event-driven groups: iaf_psc_delta neurons that rest below threshold and receive only
synaptic input are computed only when input reaches them, with the same results."""

import numpy as np
import pytest

from distsim import FixedIndegree, Network, Simulation


def _net(i_e=100.0, record_state=False, poisson=False):
    net = Network(dt=0.1, seed=3)
    times = [np.unique(np.random.default_rng(i).uniform(1, 400, 30).round(1)) for i in range(100)]
    net.add_population("src", "spike_source", 100, {"spike_times": times})
    net.add_population("A", "iaf_psc_delta", 200, {"V_m": -65.0, "I_e": i_e, "t_ref": 2.0})
    net.add_population("B", "iaf_psc_delta", 80, {"V_m": -69.0, "V_min": -72.0})
    net.add_population("silent", "iaf_psc_delta", 50, {"V_m": -60.0})
    net.connect("src", "A", FixedIndegree(20), weight=1.6, delay=1.0)
    net.connect("A", "B", FixedIndegree(30), weight=2.5, delay=2.0)
    net.connect("B", "A", FixedIndegree(10), weight=-3.0, delay=0.5)
    net.record_spikes("A")
    net.record_spikes("B")
    if record_state:
        net.record_state("B", ["V_m"], interval=0.1, neurons=[0])
    if poisson:
        net.add_poisson_input("B", rate=1000.0, weight=0.5)
    return net


def _run(net, event_driven, split=False):
    sim = Simulation(net, event_driven=event_driven)
    for t in (150.0, 250.0, 200.0) if split else (600.0,):
        sim.run(t)
    sim.neurons.catch_up(sim.step)
    return sim


def test_event_driven_equals_step_by_step():
    lazy, dense = _run(_net(), True), _run(_net(), False)
    assert list(lazy.neurons.arrays.lazy) == [0, 1, 1, 1] and not dense.neurons.arrays.lazy.any()
    s_lazy, s_dense = lazy.summary(), dense.summary()
    assert s_lazy["spikes"] > 500 and s_lazy["digest"] == s_dense["digest"]
    assert np.abs(lazy.neurons.st[0] - dense.neurons.st[0]).max() < 1e-11
    assert np.array_equal(lazy.neurons.refr, dense.neurons.refr)
    assert _run(_net(), True, split=True).summary()["digest"] == s_lazy["digest"]


def test_silent_neurons_are_never_computed():
    sim = Simulation(_net())
    sim.run(600.0)
    lo, hi = sim.neurons.pop_slice["silent"]
    assert (
        sim.neurons.arrays.last[lo:hi] == 1
    ).all()  # computed once, at the first step, then never
    lo, hi = sim.neurons.pop_slice["A"]
    assert sim.neurons.arrays.last[lo:hi].max() > 3000  # neurons that receive input are computed


def test_checkpoint_of_event_driven_groups_restores_exactly(tmp_path):
    full = _run(_net(), True)
    sim = Simulation(_net())
    sim.run(230.0)
    sim.checkpoint(str(tmp_path / "ck.zarr"))
    back = Simulation.restore(str(tmp_path / "ck.zarr"))
    back.run(370.0)
    steps_a, gids_a = full.spike_steps()
    steps_b, gids_b = back.spike_steps()
    early = steps_a <= 2300
    got = (
        np.concatenate((sim.spike_steps()[0], steps_b)),
        np.concatenate((sim.spike_steps()[1], gids_b)),
    )
    assert np.array_equal(np.sort(steps_a * 10**6 + gids_a), np.sort(got[0] * 10**6 + got[1]))
    assert early.sum() == sim.spike_steps()[0].size


@pytest.mark.parametrize(
    "kwargs, lazy",
    [
        ({"record_state": True}, [0, 1, 0, 1]),
        ({"poisson": True}, [0, 1, 0, 1]),
        ({"i_e": 400.0}, [0, 0, 1, 1]),
    ],
)
def test_event_driven_only_where_exact(kwargs, lazy):
    # sampled state, Poisson input, or a resting potential above threshold (I_e tau/C >= 15 mV)
    assert list(Simulation(_net(**kwargs)).neurons.arrays.lazy) == lazy
