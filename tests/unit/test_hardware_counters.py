"""Hardware counters of the engine, against counts made by hand on a tiny network."""

import numpy as np
import pytest

from distsim import FromList, Network, Simulation
from distsim.errors import ConfigError


@pytest.mark.parametrize("event_driven", [True, False])
def test_counts_by_hand(event_driven):
    net = Network(dt=1.0, seed=1)
    net.add_population("src", "spike_source", 2, {"spike_times": [[1.0, 5.0], [5.0]]})
    # target 0 gets both sources (20 mV each: fires only when both arrive together),
    # target 1 only source 1, target 2 nothing
    net.add_population("n", "iaf_psc_delta", 3, {"V_th": -55.0, "E_L": -70.0, "V_m": -70.0})
    net.connect("src", "n", FromList([0, 1, 1], [0, 0, 1]), weight=[10.0, 10.0, 1.0], delay=2.0)
    sim = Simulation(net, hardware_counters=True, event_driven=event_driven)
    sim.run(10.0)
    c = sim.hardware_counts()
    assert c["steps"] == 10
    # inputs arrive at steps 3 (target 0) and 7 (targets 0 and 1); target 0 fires at 7
    assert c["active_steps"].tolist() == [0, 0, 2, 1, 0]
    assert c["spikes"].tolist() == [2, 1, 1, 0, 0]
    assert dict(zip(c["row_gid"].tolist(), c["row_spikes"].tolist())) == {0: 2, 1: 1}


def test_counts_need_the_option():
    net = Network(dt=1.0)
    net.add_population("n", "iaf_psc_delta", 2)
    with pytest.raises(ConfigError, match="hardware_counters=True"):
        Simulation(net).hardware_counts()


def test_counters_do_not_change_the_spikes():
    from distsim.examples.brunel import brunel

    a = Simulation(brunel(order=50), hardware_counters=True)
    b = Simulation(brunel(order=50))
    for s in (a, b):
        s.run(100.0)
    assert a.summary()["digest"] == b.summary()["digest"]
    assert np.sum(a.hardware_counts()["spikes"]) == a.summary()["spikes"]
