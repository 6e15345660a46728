"""Synapses between chips must outlast their route's latency (check_link_latency)."""

from types import SimpleNamespace

import numpy as np
import pytest

from distsim import FixedIndegree, FromList, Network, Uniform
from distsim.errors import HardwareError
from distsim.partition import hardware
from distsim.partition.hardware_mapping import check_link_latency


def _net():
    net = Network(dt=0.1, seed=2)
    net.add_population("A", "iaf_psc_delta", 400)
    net.add_population("B", "iaf_psc_delta", 400)
    # explicit pairs A i -> B 399 - i with 0.5 ms; B onto A at random with 1-3 ms
    net.connect(
        "A",
        "B",
        FromList(np.arange(400), np.arange(399, -1, -1)),
        weight=1.0,
        delay=np.full(400, 0.5),
    )
    net.connect("B", "A", FixedIndegree(5), weight=1.0, delay=Uniform(1.0, 3.0))
    return net


def test_random_rules_against_the_farthest_chips_lists_synapse_by_synapse():
    net = _net()
    # gid g on chip g % 4 of a 4x1 mesh: A i on chip i % 4, B 399 - i on chip 3 - i % 4, so
    # listed synapses cross 3, 1, 1 or 3 links; B and A both span all 4 chips (3 hops)
    dec = SimpleNamespace(hardware={"fabric": "mesh:4x1"}, chip_of=np.arange(800) % 4)
    check_link_latency(net, dec, 0.5 / 3)
    with pytest.raises(
        HardwareError,
        match=r"projection 'A->B': synapses cross 3 chip links "
        r"of 0.17 ms \(0.51 ms\) but have delays down to "
        r"0.5 ms on mesh:4x1",
    ):
        check_link_latency(net, dec, 0.17)
    dec.chip_of = np.r_[np.arange(400) % 4, np.arange(400)[::-1] % 4]  # lists stay on chip
    check_link_latency(net, dec, 1.0 / 3)
    with pytest.raises(
        HardwareError,
        match=r"projection 'B->A': synapses cross 3 chip links "
        r"of 0.34 ms \(1.02 ms\) but have delays down to 1 ms",
    ):
        check_link_latency(net, dec, 0.34)
    check_link_latency(net, dec, 0.0)  # no latency modelled: nothing to check


def test_the_mapping_keeps_listed_partners_on_one_chip():
    net = _net()
    dec = hardware(net, 4, profile="loihi", fabric="mesh:4x1")
    a, b = dec.chip_of[net.populations["A"].gids], dec.chip_of[net.populations["B"].gids]
    assert np.array_equal(a, b[::-1])  # every listed synapse stays on its chip
    check_link_latency(net, dec, 1.0 / 3)  # so only the random rule's farthest chips bind


def test_volume_transmitter_spikes_must_reach_the_synapses_chips_within_vt_delay():
    net = Network(dt=0.1, seed=2)
    net.add_population("pre", "parrot_neuron", 8)
    net.add_population("post", "iaf_psc_alpha", 8)
    net.add_population("dopa", "iaf_psc_alpha", 4)
    net.connect(
        "pre",
        "post",
        "all_to_all",
        weight=1.0,
        delay=2.0,
        synapse={"synapse_model": "stdp_dopamine_synapse", "vt": "dopa", "vt_delay": 1.0},
    )
    # pre and post on chips 0-3 of a 4x1 mesh, dopa on chip 0: 3 hops to post's last chip
    dec = SimpleNamespace(
        hardware={"fabric": "mesh:4x1"},
        chip_of=np.r_[np.arange(8) % 4, np.arange(8) % 4, np.zeros(4, int)],
    )
    check_link_latency(net, dec, 1.0 / 3)
    with pytest.raises(
        HardwareError,
        match=r"projection 'pre->post': the spikes of its volume "
        r"transmitter 'dopa' cross 3 chip links of 0.34 ms "
        r"\(1.02 ms\) to the chips of its synapses but "
        r"vt_delay is 1 ms on mesh:4x1",
    ):
        check_link_latency(net, dec, 0.34)
