"""Hardware-aware mapping: neurons -> cores -> chips -> ranks under a profile's limits, errors
that name the population, the limit and the numbers, and the report against round-robin."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from distsim import FixedIndegree, Network
from distsim.errors import HardwareError, PartitionError
from distsim.examples import brunel
from distsim.hardware.profiles import load_profile
from distsim.partition import BALANCERS, Decomposition, hardware, mapping_report
from distsim.partition.balancers import expected_traffic


def _areas(n_areas=4, size=400, p_between=0.0005, chain=False):
    """Areas of E and I neurons, dense inside, sparse between (each to the next if chain)."""
    net = Network()
    for a in range(n_areas):
        net.add_population(f"E{a}", "iaf_psc_exp", size)
        net.add_population(f"I{a}", "iaf_psc_exp", size // 4)
    for a in range(n_areas):
        for src in (f"E{a}", f"I{a}"):
            for tgt in (f"E{a}", f"I{a}"):
                net.connect(src, tgt, FixedIndegree(20))
        for b in [(a + 1) % n_areas] if chain else range(n_areas):
            if b != a:
                net.connect(f"E{a}", f"E{b}", {"rule": "pairwise_bernoulli", "p": p_between})
    return net


def _cores(dec):
    """(chip, core) -> gids."""
    keys = dec.chip_of * 100_000 + dec.core_of
    return {int(k): np.flatnonzero(keys == k) for k in np.unique(keys)}


def test_expected_traffic_by_hand():
    net = Network()
    net.add_population("A", "iaf_psc_exp", 4)
    net.add_population("B", "iaf_psc_exp", 4)
    net.connect("A", "B", {"rule": "all_to_all"})
    group = np.array([0, 1, 0, 1, 0, 0, 0, 0])  # all of B on group 0
    t = expected_traffic(net, group, 2, rates={"A": 10.0, "B": 5.0})
    assert t.tolist() == [[20.0, 0.0], [20.0, 0.0]]  # every A spike goes to group 0 only


def test_registered_and_whole_chips_per_rank():
    assert BALANCERS["hardware"] is hardware
    net = brunel(order=500)
    dec = hardware(net, 4, profile="loihi", fabric="mesh:2x2")
    assert isinstance(dec, Decomposition) and dec.name == "hardware"
    assert dec.counts().sum() == net.n_neurons and (dec.counts() > 0).all()
    chips = [dec.chips_of_rank(r).tolist() for r in range(4)]
    assert sorted(sum(chips, [])) == [0, 1, 2, 3]
    for gids in _cores(dec).values():  # a core: one population, <= 1,024 neurons
        assert gids.size <= 1024 and np.unique(gids < 2000).size == 1
    d = dec.to_dict()
    assert d["chips_per_rank"] == chips and d["hardware"]["profile"] == "loihi"
    assert json.loads(json.dumps(d)) == d
    again = hardware(net, 4, profile="loihi", fabric="mesh:2x2")  # same on every rank
    assert np.array_equal(again.chip_of, dec.chip_of) and np.array_equal(again.core_of, dec.core_of)


def test_cores_per_chip_and_several_chips_per_rank():
    net = Network()
    net.add_population("X", "iaf_psc_exp", 10_000)
    net.connect("X", "X", FixedIndegree(10))
    # 2 ranks do not tile a 3 x 3 grid: contiguous runs of chips in snake order
    dec = hardware(net, 2, profile="spinnaker", fabric="spinnaker:3x3")
    assert dec.hardware["cores"] == 40 and dec.hardware["neurons_per_core"] == {"X": 256}
    assert dec.hardware["chips"] == 3  # 40 cores / 17 per chip
    assert dec.hardware["rank_grid"] is None and "do not tile" in dec.hardware["rank_grid_note"]
    per_chip = np.bincount(np.unique(dec.chip_of * 1000 + dec.core_of) // 1000)
    assert per_chip.max() <= 17
    assert sorted(len(dec.chips_of_rank(r)) for r in range(2)) == [1, 2]
    # on a 4 x 4 toroid each rank has a 4 x 2 block and 20 cores: 2 chips each
    dec = hardware(net, 2, profile="spinnaker", fabric="spinnaker:4x4")
    assert dec.hardware["rank_grid"] == {"dims": [1, 2], "periodic": True, "chips_per_rank": [4, 2]}
    assert dec.hardware["chips"] == 4 and [len(dec.chips_of_rank(r)) for r in range(2)] == [2, 2]


def test_synapse_memory_needs_bits_per_synapse():
    net = brunel(order=500)  # 250 synapses per neuron
    dec = hardware(net, 1, profile="loihi", fabric="mesh:1x1")
    assert "synapse_memory_per_core" in dec.hardware["unchecked"]
    assert dec.hardware["neurons_per_core"] == {"E": 1024, "I": 500}
    dec = hardware(net, 1, profile="loihi", fabric="mesh:1x1", bits_per_synapse=64)
    # 128 KiB / (250 synapses x 8 bytes) = 65.5 neurons per core
    assert dec.hardware["neurons_per_core"] == {"E": 65, "I": 65}
    assert dec.hardware["core_size_limited_by"]["E"].startswith("synapse_memory_per_core")
    assert "synapse_memory_per_core" in dec.hardware["checked"]


def test_does_not_fit_names_population_limit_and_numbers():
    with pytest.raises(
        HardwareError,
        match=(
            r"Population 'E': 10,000 neurons need 3,334 Intel Loihi \(2018\) cores of at most 3 "
            r"neurons \(fan_in_per_core: 4 neurons receive 4,299 distinct presynaptic neurons "
            r"\(expected\) > 4,096\); all 2 populations need 4,168 cores, but the mesh:2x2 "
            r"fabric has 4 chips x 128 cores = 512; use a larger fabric \(e.g. mesh:6x6\)"
        ),
    ):
        hardware(brunel(order=2500), 4, profile="loihi", fabric="mesh:2x2")
    net = _areas(n_areas=1, size=100)
    with pytest.raises(
        HardwareError,
        match=r"Population 'E0': each neuron reaches 2.0 cores .*"
        r"allows 1 target core\(s\) per neuron",
    ):
        hardware(net, 1, profile="truenorth", fabric="mesh:1x1")
    with pytest.raises(
        HardwareError,
        match=r"each neuron has 1,250 expected incoming synapses, "
        r"but IBM TrueNorth \(2014\) allows 256 per neuron",
    ):
        hardware(brunel(order=2500), 1, profile="truenorth", fabric="mesh:1x1")
    with pytest.raises(HardwareError, match=r"5 ranks but the mesh:2x2 fabric has 4 chips"):
        hardware(brunel(order=50), 5, fabric="mesh:2x2")


def test_mapping_beats_round_robin_on_modular_networks():
    net = _areas()
    rep = mapping_report(net, hardware(net, 4, profile="loihi", fabric="mesh:2x2"))
    assert json.loads(json.dumps(rep)) == rep
    m, rr = rep["mapping"], rep["round_robin"]
    assert rr["cut_fraction"] == pytest.approx(0.75, abs=0.01)  # every spike reaches 3 chips
    assert m["cut_traffic"] < 0.5 * rr["cut_traffic"]
    assert m["max_link_load"] < rr["max_link_load"]
    # placement: a ring of 4 areas on a 4 x 1 mesh puts neighbours next to each other
    ring = _areas(chain=True, p_between=0.002)
    rep = mapping_report(ring, hardware(ring, 4, profile="loihi", fabric="mesh:4x1"))
    assert rep["mapping"]["mean_hops"] < rep["round_robin"]["mean_hops"]


def test_report_round_robin_by_hand():
    net = Network()
    net.add_population("A", "iaf_psc_exp", 4)
    net.add_population("B", "iaf_psc_exp", 4)
    net.connect("A", "B", {"rule": "all_to_all"})
    rep = mapping_report(net, hardware(net, 2, profile="cpu", fabric="mesh:2x1"))
    # round-robin: A on chips 0,1,0,1 and B on 0,1,0,1; each A spike (10 Hz) reaches both chips
    assert rep["round_robin"] == {
        "total_traffic": 80.0,
        "cut_traffic": 40.0,
        "cut_fraction": 0.5,
        "hop_traffic": 40.0,
        "mean_hops": 1.0,
        "max_link_load": 20.0,
        "mean_link_load": 20.0,
    }
    assert rep["mapping"]["cut_traffic"] <= 40.0
    with pytest.raises(HardwareError, match="not a hardware mapping"):
        mapping_report(net, BALANCERS["block"](net, 2))


def test_decomposition_chips_stay_whole():
    with pytest.raises(PartitionError, match=r"chip 0 is split over ranks 0 and 1"):
        Decomposition(2, np.array([0, 1]), chip_of=np.array([0, 0]), core_of=np.array([0, 1]))
    with pytest.raises(PartitionError, match="chip_of and core_of come together"):
        Decomposition(1, np.array([0]), chip_of=np.array([0]))
    plain = Decomposition(2, np.array([0, 1]))
    assert plain.chip_of is None and "hardware" not in plain.to_dict()
    assert load_profile("loihi").limits["neurons_per_core"].value == 1024


def test_cli_partition_hardware():
    distsim = str(Path(sys.executable).parent / "distsim")
    r = subprocess.run(
        [
            distsim,
            "partition",
            "brunel",
            "--order",
            "100",
            "--ranks",
            "2",
            "--hardware",
            "loihi",
            "--fabric",
            "mesh:2x2",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rep = json.loads(r.stdout)
    assert rep["fabric"] == "mesh:2x2" and rep["chips_used"] == 2 and "round_robin" in rep
    r = subprocess.run(
        [
            distsim,
            "partition",
            "brunel",
            "--ranks",
            "2",
            "--hardware",
            "loihi",
            "--fabric",
            "mesh:2x2",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "Population 'E'" in r.stderr and "fan_in_per_core" in r.stderr
