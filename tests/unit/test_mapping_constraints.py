"""Constraints the mapping checks on request or after placement: synapse memory with the
user's bits per synapse (distsim partition / run --bits-per-synapse), and SpiNNaker's
multicast routing-table entries per chip."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from distsim import FixedIndegree, FromList, Network
from distsim.errors import HardwareError
from distsim.examples import brunel
from distsim.hardware import profiles
from distsim.hardware.fabric import parse_fabric
from distsim.partition import hardware
from distsim.partition.hardware_mapping import router_entries, with_bits_per_synapse

DISTSIM = str(Path(sys.executable).parent / "distsim")


def test_bits_per_synapse_profile():
    prof = with_bits_per_synapse("loihi", 64)
    assert prof.name == "loihi" and prof.limits["bits_per_synapse"].si == 64.0
    dec = hardware(brunel(order=500), 1, profile=prof, fabric="mesh:1x1")
    # 128 KiB / (250 synapses x 8 bytes) = 65.5 neurons per core
    assert dec.hardware["neurons_per_core"] == {"E": 65, "I": 65}
    assert "synapse_memory_per_core" in dec.hardware["checked"]
    assert "synapse_memory_per_core" not in dec.hardware["unchecked"]
    with pytest.raises(HardwareError, match=r"bits_per_synapse -1 is not a positive number"):
        with_bits_per_synapse("loihi", -1)


def test_synapse_memory_errors_name_population_limit_and_numbers():
    with pytest.raises(
        HardwareError,
        match=(
            r"Population 'E': even one neuron per core breaks synapse_memory_per_core: 1 "
            r"neurons x 1,250 synapses x 1024 bits = 160,000 bytes > 131,072; .* reduce its "
            r"degrees or the bits per synapse"
        ),
    ):
        hardware(brunel(order=2500), 1, profile="loihi", fabric="mesh:1x1", bits_per_synapse=1024)
    with pytest.raises(
        HardwareError,
        match=(
            r"Population 'E': 2,000 neurons need 500 Intel Loihi \(2018\) cores of at most 4 "
            r"neurons \(synapse_memory_per_core: 5 neurons x 250 synapses x 1024 bits = "
            r"160,000 bytes > 131,072\); all 2 populations need 625 cores, but the mesh:2x2 "
            r"fabric has 4 chips x 128 cores = 512"
        ),
    ):
        hardware(brunel(order=500), 4, profile="loihi", fabric="mesh:2x2", bits_per_synapse=1024)


def test_cli_bits_per_synapse():
    r = subprocess.run(
        [
            DISTSIM,
            "partition",
            "brunel",
            "--order",
            "500",
            "--ranks",
            "4",
            "--hardware",
            "loihi",
            "--fabric",
            "mesh:2x2",
            "--bits-per-synapse",
            "64",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rep = json.loads(r.stdout)
    assert rep["neurons_per_core"] == {"E": 65, "I": 65}
    assert "synapse_memory_per_core" in rep["limits_checked"]
    r = subprocess.run(
        [
            DISTSIM,
            "partition",
            "brunel",
            "--order",
            "500",
            "--ranks",
            "4",
            "--hardware",
            "loihi",
            "--fabric",
            "mesh:2x2",
            "--bits-per-synapse",
            "1024",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "Population 'E'" in r.stderr
    assert "synapse_memory_per_core: 5 neurons x 250 synapses x 1024 bits" in r.stderr
    r = subprocess.run(
        [
            DISTSIM,
            "run",
            "brunel",
            "--order",
            "100",
            "--t-sim",
            "5",
            "--no-store",
            "--hardware",
            "loihi",
            "--fabric",
            "mesh:1x1",
            "--bits-per-synapse",
            "64",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    mapping = json.loads(r.stdout.strip().splitlines()[-1])["hardware"]["mapping"]
    assert mapping["bits_per_synapse"] == 64.0
    assert mapping["neurons_per_core"] == {"E": 327, "I": 100}  # 131,072 / (50 x 8)
    r = subprocess.run(
        [
            DISTSIM,
            "run",
            "brunel",
            "--order",
            "100",
            "--t-sim",
            "5",
            "--no-store",
            "--bits-per-synapse",
            "64",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--bits-per-synapse needs --hardware" in r.stderr


@pytest.mark.parametrize(
    "fabric, src, dsts, need",
    [
        ("mesh:4x1", 0, [3], [0, 3]),  # 1 and 2 only cross straight
        ("mesh:4x1", 0, [2, 3], [0, 2, 3]),  # 2 delivers and passes on
        ("mesh:4x1", 1, [1], [1]),  # local delivery: the origin's entry
        ("mesh:4x1", 1, [], []),  # no destinations, no entry
        ("mesh:2x2", 0, [3], [0, 1, 3]),  # x then y: turns at 1
        ("mesh:3x2", 0, [2], [0, 2]),
        ("mesh:3x2", 0, [2, 4], [0, 1, 2, 4]),  # branches at 1 (E and N)
        ("torus:4x1", 0, [2], [0, 2]),  # a tie goes +: straight through 1
        ("spinnaker:3x3", 0, [5], [0, 4, 5]),  # NE then E: turns at 4
    ],
)
def test_multicast_entries_by_hand(fabric, src, dsts, need):
    assert parse_fabric(fabric).multicast_entries(src, dsts).tolist() == need


def test_router_entries_by_hand():
    net = Network()
    net.add_population("A", "iaf_psc_exp", 3)
    net.add_population("B", "iaf_psc_exp", 4)
    # A0 -> B2, B3; A1 -> B3; A2 -> B0
    net.connect("A", "B", FromList([0, 0, 1, 2], [2, 3, 3, 0]), weight=[1.0] * 4, delay=1.0)
    chip_of = np.array([0, 1, 1, 0, 1, 2, 3])  # A0 A1 A2 | B0 B1 B2 B3 on a 4 x 1 mesh
    core_of = np.array([0, 0, 1, 1, 2, 0, 0])
    # A0 (chip 0): starts on 0, ends on 2 and 3; A1 (chip 1): starts on 1, crosses 2
    # straight, ends on 3; A2 (chip 1, its own core): starts on 1, ends on 0; B: no targets
    assert router_entries(net, chip_of, core_of, "mesh:4x1").tolist() == [2, 2, 1, 2]
    # random rules: all_to_all from B reaches every chip holding A (0 and 1)
    net.connect("B", "A", {"rule": "all_to_all"})
    # B's four cores (one per chip) each send to chips {0, 1}: the cores on 0 and 1 need
    # entries on 0 and 1; the one on 2 on 2, 1, 0; the one on 3 on 3, 1, 0 (it crosses 2
    # straight, W in and W out): + [4, 4, 1, 1]
    assert router_entries(net, chip_of, core_of, "mesh:4x1").tolist() == [6, 6, 2, 3]


def _profile(tmp_path, entries):
    data = json.loads((Path(profiles.__file__).parent / "profiles" / "spinnaker.json").read_text())
    data["limits"]["router_entries_per_chip"]["value"] = entries
    path = tmp_path / f"spinnaker_{entries}.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_router_entries_checked_after_placement(tmp_path):
    net = Network()
    net.add_population("X", "iaf_psc_exp", 1000)
    net.connect("X", "X", FixedIndegree(10))
    # 32 cores (spread over 4 chips), each reaching all 4 chips of a 2 x 2 toroid in one
    # hop: every chip needs one entry per core
    dec = hardware(net, 4, profile="spinnaker", fabric="spinnaker:2x2")
    assert dec.hardware["cores"] == 32
    assert dec.hardware["router_entries"] == {"max": 32, "chip": 0, "mean": 32.0, "limit": 1023}
    assert "router_entries_per_chip" in dec.hardware["checked"]
    assert "router_entries_per_chip" not in dec.hardware["unchecked"]
    assert (
        hardware(net, 4, profile=_profile(tmp_path, 32), fabric="spinnaker:2x2").hardware[
            "router_entries"
        ]["max"]
        == 32
    )
    with pytest.raises(
        HardwareError,
        match=(
            r"chip 0 \(x 0, y 0\) of the spinnaker:2x2 fabric needs 32 multicast "
            r"routing-table entries .* but SpiNNaker 1 has 31 per chip "
            r"\(limits.router_entries_per_chip\); reduce the cores"
        ),
    ):
        hardware(net, 4, profile=_profile(tmp_path, 31), fabric="spinnaker:2x2")
    # Loihi has no routing table to fill
    assert "router_entries" not in hardware(net, 4, profile="loihi", fabric="mesh:2x2").hardware
