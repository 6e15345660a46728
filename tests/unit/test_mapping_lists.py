"""Explicit connections (FromList) in the hardware mapping: exact traffic, exact per-core
fan-in, and locality kept (the cut traffic of spatially structured networks far below
round-robin's)."""

from pathlib import Path

import numpy as np
import pytest

from distsim import FromList, Network
from distsim.examples import brunel
from distsim.examples.sensor import sensor
from distsim.partition import hardware, mapping_report
from distsim.partition.balancers import expected_traffic

CONV = Path(__file__).resolve().parents[2] / "distsim" / "examples" / "data" / "conv_snn.nir"


def test_listed_traffic_by_hand():
    net = Network()
    net.add_population("A", "iaf_psc_exp", 2)
    net.add_population("B", "iaf_psc_exp", 2)
    net.add_population("C", "iaf_psc_exp", 2)
    net.connect("A", "B", FromList([0, 0, 1], [1, 1, 1]), weight=[1.0] * 3, delay=1.0)
    group = np.array([0, 0, 0, 1, 0, 1])  # A on 0; B, C one neuron on each
    t = expected_traffic(net, group, 2, rates={"A": 10.0, "B": 5.0, "C": 1.0})
    # A0 and A1 each reach B1 (group 1) only: 2 x 10 Hz, nothing to group 0
    assert t.tolist() == [[0.0, 20.0], [0.0, 0.0]]
    # plus random A -> C, q = 0.5: a group with one C neuron is missed with probability 0.5
    net.connect("A", "C", {"rule": "pairwise_bernoulli", "p": 0.5})
    t = expected_traffic(net, group, 2, rates={"A": 10.0})
    # group 0: 2 x 10 x 0.5; group 1: reached for certain by the list (2 x 10)
    assert t.tolist() == [[10.0, 20.0], [0.0, 0.0]]


def test_listed_fan_in_is_counted():
    net = sensor(width=32, height=32, t_sim=100.0)
    dec = hardware(net, 1, profile="loihi", fabric="mesh:1x1")
    # 1,024 edge neurons see the 3 x 3 neighbourhoods of 1,024 ON and 1,024 OFF pixels:
    # 2,048 distinct presynaptic neurons, not the 4,096+ of random connections
    assert dec.hardware["neurons_per_core"]["edge"] == 1024
    assert dec.hardware["core_size_limited_by"]["edge"] == "the population fits one core"


@pytest.mark.parametrize("profile, fabric", [("loihi", "mesh:2x2"), ("spinnaker", "spinnaker:2x2")])
def test_structured_lists_cut_far_below_round_robin(profile, fabric):
    net = sensor(width=32, height=32, t_sim=100.0)
    rep = mapping_report(net, hardware(net, 4, profile=profile, fabric=fabric))
    m, rr = rep["mapping"], rep["round_robin"]
    # 4 strips of 8 rows: only the rows next to a strip's edge send across (3 borders x
    # 2 rows x 32 pixels x 2 polarities x 10 Hz = 3,840 spikes/s)
    assert m["cut_traffic"] == pytest.approx(3840.0)
    assert m["cut_traffic"] < 0.1 * rr["cut_traffic"]
    assert m["max_link_load"] < 0.2 * rr["max_link_load"]


def test_conv_snn_cut_below_round_robin():
    pytest.importorskip("nir")
    from distsim.nir_convert import import_nir

    net = import_nir(str(CONV))
    for profile, fabric in (("loihi", "mesh:2x2"), ("spinnaker", "spinnaker:2x2")):
        rep = mapping_report(net, hardware(net, 4, profile=profile, fabric=fabric))
        assert rep["mapping"]["cut_traffic"] < 0.3 * rep["round_robin"]["cut_traffic"]


def test_random_networks_unchanged():
    net = brunel(order=500)
    rep = mapping_report(net, hardware(net, 4, profile="loihi", fabric="mesh:2x2"))
    assert rep["cores_used"] == 32 and rep["mapping"]["cut_traffic"] == pytest.approx(75000.0)
