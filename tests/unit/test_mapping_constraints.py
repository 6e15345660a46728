"""Constraints the mapping checks on request or after placement: synapse memory with the
user's bits per synapse (distsim partition / run --bits-per-synapse), and SpiNNaker's
multicast routing-table entries per chip."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from distsim.errors import HardwareError
from distsim.examples import brunel
from distsim.partition import hardware
from distsim.partition.hardware_mapping import with_bits_per_synapse

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
    with pytest.raises(HardwareError, match=(
            r"Population 'E': even one neuron per core breaks synapse_memory_per_core: 1 "
            r"neurons x 1,250 synapses x 1024 bits = 160,000 bytes > 131,072; .* reduce its "
            r"degrees or the bits per synapse")):
        hardware(brunel(order=2500), 1, profile="loihi", fabric="mesh:1x1",
                 bits_per_synapse=1024)
    with pytest.raises(HardwareError, match=(
            r"Population 'E': 2,000 neurons need 500 Intel Loihi \(2018\) cores of at most 4 "
            r"neurons \(synapse_memory_per_core: 5 neurons x 250 synapses x 1024 bits = "
            r"160,000 bytes > 131,072\); all 2 populations need 625 cores, but the mesh:2x2 "
            r"fabric has 4 chips x 128 cores = 512")):
        hardware(brunel(order=500), 4, profile="loihi", fabric="mesh:2x2",
                 bits_per_synapse=1024)


def test_cli_bits_per_synapse():
    r = subprocess.run([DISTSIM, "partition", "brunel", "--order", "500", "--ranks", "4",
                        "--hardware", "loihi", "--fabric", "mesh:2x2", "--bits-per-synapse",
                        "64", "--json"], capture_output=True, text=True, check=True)
    rep = json.loads(r.stdout)
    assert rep["neurons_per_core"] == {"E": 65, "I": 65}
    assert "synapse_memory_per_core" in rep["limits_checked"]
    r = subprocess.run([DISTSIM, "partition", "brunel", "--order", "500", "--ranks", "4",
                        "--hardware", "loihi", "--fabric", "mesh:2x2", "--bits-per-synapse",
                        "1024"], capture_output=True, text=True)
    assert r.returncode == 2 and "Population 'E'" in r.stderr
    assert "synapse_memory_per_core: 5 neurons x 250 synapses x 1024 bits" in r.stderr
    r = subprocess.run([DISTSIM, "run", "brunel", "--order", "100", "--t-sim", "5",
                        "--no-store", "--hardware", "loihi", "--fabric", "mesh:1x1",
                        "--bits-per-synapse", "64", "--json"],
                       capture_output=True, text=True, check=True)
    mapping = json.loads(r.stdout.strip().splitlines()[-1])["hardware"]["mapping"]
    assert mapping["bits_per_synapse"] == 64.0
    assert mapping["neurons_per_core"] == {"E": 327, "I": 100}   # 131,072 / (50 x 8)
    r = subprocess.run([DISTSIM, "run", "brunel", "--order", "100", "--t-sim", "5",
                        "--no-store", "--bits-per-synapse", "64"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "--bits-per-synapse needs --hardware" in r.stderr
